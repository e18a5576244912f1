package dev.tcpconnlat.event;

import static dev.tcpconnlat.event.EventLayout.*;

import dev.tcpconnlat.bpf.LibC;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * A {@code struct event} as the kernel wrote it: the text output's hot path. {@link #wrap}
 * copies the record once (one bulk copy out of the ring buffer); the getters read that copy,
 * and the text forms of comm and addresses go into the caller's buffers, so that nothing is
 * allocated per event. {@link #toRecord} keeps one. One instance per thread.
 */
public final class EventView {
    private static final int SIZE = (int) LAYOUT.byteSize();
    private final byte[] e = new byte[SIZE];
    /** {@code e} as a segment: a copy between two segments skips the array checks (a JNI call under C1). */
    private final MemorySegment copy = MemorySegment.ofArray(e);
    private final Addresses addresses = new Addresses();

    public EventView wrap(MemorySegment record) {
        return wrap(record, 0);
    }

    /** The record at {@code offset} of {@code segment} (in place in the ring buffer). */
    public EventView wrap(MemorySegment segment, long offset) {
        MemorySegment.copy(segment, offset, copy, 0, SIZE);
        return this;
    }

    public long timestampNs() {
        return u64(e, TS_NS);
    }

    public long latencyNs() {
        return u64(e, LATENCY_NS);
    }

    /** Whole microseconds, as bcc's delta_us. */
    public long latencyUs() {
        return latencyNs() / 1000;
    }

    /** When connect() started: tcpconnlat's events are stamped when answered. */
    public long connectNs() {
        return timestampNs() - latencyNs();
    }

    public long cgroupId() {
        return u64(e, CGROUP_ID);
    }

    public int pid() {
        return u32(e, PID);
    }

    public int tid() {
        return u32(e, TID);
    }

    /** The uid as an unsigned number. */
    public long uid() {
        return Integer.toUnsignedLong(u32(e, UID));
    }

    public int family() {
        return u16(e, FAMILY);
    }

    /** 4 or 6, bcc's IP column. */
    public int ipVersion() {
        return family() == LibC.AF_INET ? 4 : 6;
    }

    public int lport() {
        return u16(e, LPORT);
    }

    public int dport() {
        return u16(e, DPORT);
    }

    /** SYNs retransmitted before the answer or the failure (0 for an attempt). */
    public int synRetransmits() {
        return u16(e, RETRANS);
    }

    public int errno() {
        return u32(e, ERR);
    }

    /** How it ended, as the kernel decided (PENDING for an attempt). */
    public Result result() {
        return Result.ofKernel(u16(e, RESULT));
    }

    /** Copies the comm's bytes (up to {@link EventLayout#COMM_LEN}, without the NUL) into {@code dst}; returns how many. */
    public int comm(byte[] dst) {
        int n = 0;
        while (n < COMM_LEN && e[(int) COMM + n] != 0) {
            dst[n] = e[(int) COMM + n];
            n++;
        }
        return n;
    }

    /** The comm as the process set it: UTF-8, invalid bytes replaced (U+FFFD), control characters kept. */
    public String comm() {
        byte[] b = new byte[COMM_LEN];
        return new String(b, 0, comm(b), StandardCharsets.UTF_8);
    }

    /** Writes the source address as inet_ntop(3) does (ASCII) into {@code dst} (at least {@link LibC#ADDRSTRLEN}); returns its length. */
    public int saddr(byte[] dst) {
        return addresses.format(family(), e, (int) SADDR, dst);
    }

    /** The destination address, as {@link #saddr(byte[])}. */
    public int daddr(byte[] dst) {
        return addresses.format(family(), e, (int) DADDR, dst);
    }

    public String saddr() {
        return Addresses.of(family(), e, (int) SADDR);
    }

    public String daddr() {
        return Addresses.of(family(), e, (int) DADDR);
    }

    /** A copy that outlives the ring buffer record. */
    public ConnectEvent toRecord() {
        return new ConnectEvent(timestampNs(), latencyNs(), cgroupId(), pid(), tid(), (int) uid(), comm(),
                ipVersion(), saddr(), lport(), daddr(), dport(), result(), errno(), synRetransmits());
    }
}
