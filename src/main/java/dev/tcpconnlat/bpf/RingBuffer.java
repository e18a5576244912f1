package dev.tcpconnlat.bpf;

import static dev.tcpconnlat.bpf.Native.ADDRESS;
import static dev.tcpconnlat.bpf.Native.C_INT;
import static dev.tcpconnlat.bpf.Native.C_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Consumer side of a BPF ring buffer map. {@link #poll} sleeps in epoll until the kernel
 * wakes it or the timeout passes, then hands every record to the handler, on this thread.
 * Not thread-safe: poll from one thread.
 */
public final class RingBuffer implements AutoCloseable {
    private static final int EINTR = 4;
    private static final MethodHandle ON_SAMPLE;

    static {
        try {
            ON_SAMPLE = MethodHandles.lookup().findVirtual(RingBuffer.class, "onSample",
                    MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class, long.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Receives each record; the segment is valid only during the call. */
    @FunctionalInterface
    public interface Handler {
        void onRecord(MemorySegment record) throws Exception;
    }

    private final Arena arena = Arena.ofShared();
    private final Handler handler;
    private final MemorySegment rb;
    private Throwable failure;
    private boolean closed;

    public RingBuffer(BpfMap map, Handler handler) {
        this.handler = handler;
        // int (*ring_buffer_sample_fn)(void *ctx, void *data, size_t size);
        MemorySegment callback = Native.LINKER.upcallStub(ON_SAMPLE.bindTo(this),
                FunctionDescriptor.of(C_INT, ADDRESS, ADDRESS, C_LONG), arena);
        try {
            MemorySegment p = (MemorySegment) LibBpf.RING_BUFFER_NEW.invokeExact(
                    Native.callState(), map.fd(), callback, MemorySegment.NULL, MemorySegment.NULL);
            if (p.equals(MemorySegment.NULL)) {
                int errno = Native.errno();
                arena.close();
                throw new BpfException("cannot open the ring buffer", errno);
            }
            rb = p;
        } catch (Throwable t) {
            throw LibBpf.rethrow(t);
        }
    }

    // An upcall must never throw (the JVM would die): keep the failure, stop this batch, rethrow in poll.
    private int onSample(MemorySegment ctx, MemorySegment data, long size) {
        try {
            handler.onRecord(data.reinterpret(size));
            return 0;
        } catch (Throwable t) {
            failure = t;
            return -1;
        }
    }

    /** Waits up to {@code timeoutMs} for data, then consumes what is there. Returns the records handled. */
    public int poll(int timeoutMs) throws Exception {
        try {
            return result((int) LibBpf.RING_BUFFER_POLL.invokeExact(rb, timeoutMs));
        } catch (Throwable t) {
            throw rethrowChecked(t);
        }
    }

    /** Consumes every record available now, without waiting (also those submitted without a wakeup). */
    public int consume() throws Exception {
        try {
            return result((int) LibBpf.RING_BUFFER_CONSUME.invokeExact(rb));
        } catch (Throwable t) {
            throw rethrowChecked(t);
        }
    }

    private int result(int n) throws Exception {
        if (failure != null) {
            Throwable t = failure;
            failure = null;
            throw rethrowChecked(t);
        }
        if (n == -EINTR) {
            return 0;
        }
        return BpfException.check(n, "ring buffer poll");
    }

    private static Exception rethrowChecked(Throwable t) {
        if (t instanceof Exception e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LibBpf.free(LibBpf.RING_BUFFER_FREE, rb, arena);
    }
}
