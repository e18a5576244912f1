package dev.tcpconnlat.bpf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Reads the records of a BPF ring buffer where the kernel wrote them, as cilium/ebpf's reader
 * does (kernel/bpf/ringbuf.c is the other side):
 * <pre>
 * consumer page   u64 consumer_pos        written by us (release), once per batch
 * producer page   u64 producer_pos        written by the kernel (we read it with acquire)
 * data            2 x size bytes          the ring, mapped twice so a record that wraps is contiguous
 * record          u32 len | BUSY | DISCARD, u32 page offset, then len bytes, padded to 8
 * </pre>
 * A record still being written (BUSY) ends the batch: the next read resumes at it. Discarded
 * records are skipped. Not thread-safe: one reader per ring.
 */
public final class RingReader {
    static final int BUSY = 1 << 31;
    static final int DISCARD = 1 << 30;
    static final int HEADER = 8;
    /**
     * Records per {@link #read} at most. The JIT compiles a method after ~100 calls, but a loop
     * in a method called once per batch only after ~60,000 iterations (on-stack replacement):
     * with whole batches per call, the first 60,000 records went through the interpreter.
     */
    public static final int MAX_RECORDS = 64;
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    /** Receives a record in place: {@code length} bytes at {@code offset} of {@code data}, valid only during the call. */
    @FunctionalInterface
    public interface Handler {
        void onRecord(MemorySegment data, long offset, int length) throws Exception;
    }

    private final MemorySegment consumer;
    private final MemorySegment producer;
    private final MemorySegment data;
    private final long mask;

    /** {@code data} is the ring mapped twice: 2 x its size, a power of two. */
    public RingReader(MemorySegment consumer, MemorySegment producer, MemorySegment data) {
        this.consumer = consumer;
        this.producer = producer;
        this.data = data;
        this.mask = data.byteSize() / 2 - 1;
    }

    /**
     * Hands the committed records to {@code handler}, at most {@link #MAX_RECORDS}, then
     * publishes the new consumer position. Returns the records read (handled or discarded):
     * call again until it returns 0.
     */
    public int read(Handler handler) throws Exception {
        long cons = (long) LONG.getAcquire(consumer, 0L);
        int read = 0;
        try {
            long prod = (long) LONG.getAcquire(producer, 0L);
            while (cons < prod && read < MAX_RECORDS) {
                long at = cons & mask;
                int header = (int) INT.getAcquire(data, at);
                if ((header & BUSY) != 0) {
                    break;
                }
                int length = header & ~(BUSY | DISCARD);
                if ((header & DISCARD) == 0) {
                    handler.onRecord(data, at + HEADER, length);
                }
                read++;
                cons += (length + HEADER + 7) & ~7L;
                if (cons >= prod) {
                    prod = (long) LONG.getAcquire(producer, 0L); // more may have come meanwhile
                }
            }
        } finally {
            LONG.setRelease(consumer, 0L, cons);
        }
        return read;
    }
}
