package dev.tcpconnlat.event;

import static dev.tcpconnlat.event.EventLayout.*;

import dev.tcpconnlat.bpf.LibC;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reads a {@code struct event} where the kernel wrote it, without copying: the text output's
 * hot path, which appends fields straight into a line and allocates nothing per event.
 * Valid only while the record is (during the ring buffer callback); {@link #toRecord} keeps one.
 * One instance per thread.
 */
public final class EventView {
    private MemorySegment e;

    public EventView wrap(MemorySegment record) {
        this.e = record;
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

    public int errno() {
        return u32(e, ERR);
    }

    public Result result() {
        return Result.of(kind(e), errno());
    }

    /** Appends up to {@code max} bytes of comm, one char per byte (bcc prints the raw bytes). */
    public void appendComm(StringBuilder out, int max) {
        int n = Math.min(commLength(e), max);
        for (int i = 0; i < n; i++) {
            out.append((char) Byte.toUnsignedInt(e.get(ValueLayout.JAVA_BYTE, COMM + i)));
        }
    }

    public void appendSaddr(StringBuilder out) {
        appendAddress(out, SADDR);
    }

    public void appendDaddr(StringBuilder out) {
        appendAddress(out, DADDR);
    }

    private void appendAddress(StringBuilder out, long offset) {
        Addresses.append(out, family(), e, offset);
    }

    public String comm() {
        StringBuilder b = new StringBuilder(COMM_LEN);
        appendComm(b, COMM_LEN);
        return b.toString();
    }

    public String saddr() {
        return Addresses.of(family(), e, SADDR);
    }

    public String daddr() {
        return Addresses.of(family(), e, DADDR);
    }

    /** A copy that outlives the ring buffer record. */
    public ConnectEvent toRecord() {
        return new ConnectEvent(timestampNs(), latencyNs(), cgroupId(), pid(), tid(), (int) uid(), comm(),
                ipVersion(), saddr(), lport(), daddr(), dport(), result(), errno());
    }
}
