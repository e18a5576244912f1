package dev.tcpconnlat.decode;

import static dev.tcpconnlat.decode.EventLayout.*;

import dev.tcpconnlat.bpf.LibC;
import dev.tcpconnlat.event.EventView;
import dev.tcpconnlat.event.Result;
import java.lang.foreign.MemorySegment;

/**
 * A {@code struct event} as the kernel wrote it, behind {@link EventView}: {@link #wrap}
 * copies the record once (one bulk copy out of the ring buffer); the getters read that copy,
 * so that nothing is allocated per event. One instance per thread.
 */
public final class RecordView implements EventView {
    private static final int SIZE = (int) LAYOUT.byteSize();
    private final byte[] e = new byte[SIZE];
    /** {@code e} as a segment: a copy between two segments skips the array checks (a JNI call under C1). */
    private final MemorySegment copy = MemorySegment.ofArray(e);
    private final Addresses addresses = new Addresses();

    public RecordView wrap(MemorySegment record) {
        return wrap(record, 0);
    }

    /** The record at {@code offset} of {@code segment} (in place in the ring buffer). */
    public RecordView wrap(MemorySegment segment, long offset) {
        MemorySegment.copy(segment, offset, copy, 0, SIZE);
        return this;
    }

    @Override
    public long timestampNs() {
        return u64(e, TS_NS);
    }

    @Override
    public long latencyNs() {
        return u64(e, LATENCY_NS);
    }

    @Override
    public long cgroupId() {
        return u64(e, CGROUP_ID);
    }

    @Override
    public int pid() {
        return u32(e, PID);
    }

    @Override
    public int tid() {
        return u32(e, TID);
    }

    @Override
    public long uid() {
        return Integer.toUnsignedLong(u32(e, UID));
    }

    public int family() {
        return u16(e, FAMILY);
    }

    @Override
    public int ipVersion() {
        return family() == LibC.AF_INET ? 4 : 6;
    }

    @Override
    public int lport() {
        return u16(e, LPORT);
    }

    @Override
    public int dport() {
        return u16(e, DPORT);
    }

    @Override
    public int synRetransmits() {
        return u16(e, RETRANS);
    }

    @Override
    public int errno() {
        return u32(e, ERR);
    }

    @Override
    public Result result() {
        return Result.ofKernel(u16(e, RESULT));
    }

    @Override
    public int comm(byte[] dst) {
        int n = 0;
        while (n < COMM_LEN && e[(int) COMM + n] != 0) {
            dst[n] = e[(int) COMM + n];
            n++;
        }
        return n;
    }

    @Override
    public int saddr(byte[] dst) {
        return addresses.format(family(), e, (int) SADDR, dst);
    }

    @Override
    public int daddr(byte[] dst) {
        return addresses.format(family(), e, (int) DADDR, dst);
    }
}
