package dev.tcpconnlat.event;

import static dev.tcpconnlat.event.EventLayout.*;

import dev.tcpconnlat.bpf.LibC;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads a {@code struct event} where the kernel wrote it, without copying: the text output's
 * hot path, which appends fields straight into a line and allocates nothing per event.
 * Valid only while the record is (during the ring buffer callback); {@link #toRecord} keeps one.
 * One instance per thread.
 */
public final class EventView {
    private MemorySegment e;
    private long base;
    private final byte[] commBytes = new byte[COMM_LEN];
    private final ByteBuffer commIn = ByteBuffer.wrap(commBytes);
    private final CharBuffer commOut = CharBuffer.allocate(COMM_LEN);
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);

    public EventView wrap(MemorySegment record) {
        return wrap(record, 0);
    }

    /** The record at {@code offset} of {@code segment} (in place in the ring buffer). */
    public EventView wrap(MemorySegment segment, long offset) {
        this.e = segment;
        this.base = offset;
        return this;
    }

    public long timestampNs() {
        return u64(e, base + TS_NS);
    }

    public long latencyNs() {
        return u64(e, base + LATENCY_NS);
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
        return u64(e, base + CGROUP_ID);
    }

    public int pid() {
        return u32(e, base + PID);
    }

    public int tid() {
        return u32(e, base + TID);
    }

    /** The uid as an unsigned number. */
    public long uid() {
        return Integer.toUnsignedLong(u32(e, base + UID));
    }

    public int family() {
        return u16(e, base + FAMILY);
    }

    /** 4 or 6, bcc's IP column. */
    public int ipVersion() {
        return family() == LibC.AF_INET ? 4 : 6;
    }

    public int lport() {
        return u16(e, base + LPORT);
    }

    public int dport() {
        return u16(e, base + DPORT);
    }

    public int errno() {
        return u32(e, base + ERR);
    }

    public Result result() {
        return Result.of(u32(e, base + KIND), errno());
    }

    /**
     * Appends up to {@code max} chars of comm, decoded as UTF-8 with invalid bytes replaced
     * (U+FFFD). With {@code escapeControls}, control characters become '?', as ps prints
     * them, so that a comm can neither split a line nor send a terminal escape sequence.
     * Allocates nothing.
     */
    public void appendComm(StringBuilder out, int max, boolean escapeControls) {
        int n = commLength(e, base);
        MemorySegment.copy(e, ValueLayout.JAVA_BYTE, base + COMM, commBytes, 0, n);
        if (printableAscii(n)) { // the common case, without the decoder
            for (int i = 0; i < Math.min(n, max); i++) {
                out.append((char) commBytes[i]);
            }
            return;
        }
        commIn.clear().limit(n);
        commOut.clear();
        utf8.reset().decode(commIn, commOut, true);
        utf8.flush(commOut);
        int chars = Math.min(commOut.position(), max);
        for (int i = 0; i < chars; i++) {
            char c = commOut.get(i);
            out.append(escapeControls && Character.isISOControl(c) ? '?' : c);
        }
    }

    public void appendSaddr(StringBuilder out) {
        appendAddress(out, SADDR);
    }

    public void appendDaddr(StringBuilder out) {
        appendAddress(out, DADDR);
    }

    private void appendAddress(StringBuilder out, long offset) {
        Addresses.append(out, family(), e, base + offset);
    }

    private boolean printableAscii(int n) {
        for (int i = 0; i < n; i++) {
            if (commBytes[i] < 0x20 || commBytes[i] == 0x7f) { // negative: not ASCII
                return false;
            }
        }
        return true;
    }

    /** The comm as the process set it (decoded as UTF-8, control characters kept). */
    public String comm() {
        StringBuilder b = new StringBuilder(COMM_LEN);
        appendComm(b, COMM_LEN, false);
        return b.toString();
    }

    public String saddr() {
        return Addresses.of(family(), e, base + SADDR);
    }

    public String daddr() {
        return Addresses.of(family(), e, base + DADDR);
    }

    /** A copy that outlives the ring buffer record. */
    public ConnectEvent toRecord() {
        return new ConnectEvent(timestampNs(), latencyNs(), cgroupId(), pid(), tid(), (int) uid(), comm(),
                ipVersion(), saddr(), lport(), daddr(), dport(), result(), errno());
    }
}
