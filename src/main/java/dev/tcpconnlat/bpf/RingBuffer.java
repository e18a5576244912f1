package dev.tcpconnlat.bpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Consumer side of a BPF ring buffer map, read in Java: the map's pages are mapped into this
 * process and each record is handed over where the kernel wrote it ({@link RingReader}); epoll
 * on the map's fd does the sleeping. Not thread-safe: poll from one thread.
 */
public final class RingBuffer implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final RingReader.Handler handler;
    private final RingReader reader;
    private final MemorySegment event;
    private final int epfd;
    private boolean closed;

    public RingBuffer(BpfMap map, RingReader.Handler handler) {
        this.handler = handler;
        try {
            int fd = map.fd();
            long size = map.maxEntries();
            long page = LibC.pageSize();
            MemorySegment consumer = LibC.mmap(fd, 0, page, LibC.PROT_READ | LibC.PROT_WRITE, arena);
            MemorySegment producer = LibC.mmap(fd, page, page + 2 * size, LibC.PROT_READ, arena);
            reader = new RingReader(consumer, producer, producer.asSlice(page, 2 * size));
            event = arena.allocate(LibC.EPOLL_EVENT_SIZE, 8);
            epfd = LibC.epollFor(fd, event);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Waits up to {@code timeoutMs} for the kernel's wakeup, then consumes what is there. Returns the records read. */
    public int poll(int timeoutMs) throws Exception {
        LibC.epollWait(epfd, event, timeoutMs);
        return consume();
    }

    /** Consumes every record available now, without waiting (also those submitted without a wakeup). */
    public int consume() throws Exception {
        int total = 0;
        for (int n; (n = reader.read(handler)) > 0; ) {
            total += n;
        }
        return total;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LibC.close(epfd);
        arena.close();
    }
}
