package dev.tcpconnlat.bpf;

import java.lang.foreign.MemorySegment;

/** An attached program; closing it detaches the program. */
public final class BpfLink implements AutoCloseable {
    private MemorySegment link;

    BpfLink(MemorySegment link) {
        this.link = link;
    }

    @Override
    public synchronized void close() {
        if (link == null) {
            return;
        }
        try {
            int ignored = (int) LibBpf.LINK_DESTROY.invokeExact(link);
        } catch (Throwable t) {
            throw Native.failed(t);
        } finally {
            link = null;
        }
    }
}
