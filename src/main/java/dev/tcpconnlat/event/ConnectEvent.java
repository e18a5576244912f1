package dev.tcpconnlat.event;

import static dev.tcpconnlat.event.EventLayout.*;

import dev.tcpconnlat.bpf.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * One traced connect, decoded from the kernel's {@code struct event}.
 *
 * @param timestampNs when it happened, CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns)
 * @param latencyNs   SYN_SENT until the answer; 0 for an attempt
 * @param cgroupId    cgroup v2 id of the task that called connect()
 * @param pid         process (tgid) that called connect(), taken in its own context
 * @param ipVersion   4 or 6: the socket's family, as bcc prints it
 * @param saddr       source address as inet_ntop(3) writes it
 * @param lport       source port
 * @param errno       the socket's error when it failed, else 0
 */
public record ConnectEvent(
        long timestampNs, long latencyNs, long cgroupId,
        int pid, int tid, int uid, String comm,
        int ipVersion, String saddr, int lport, String daddr, int dport,
        Result result, int errno) {

    /** Decodes a ring buffer record. */
    public static ConnectEvent decode(MemorySegment e) {
        int family = u16(e, FAMILY);
        int errno = u32(e, ERR);
        return new ConnectEvent(
                u64(e, TS_NS), u64(e, LATENCY_NS), u64(e, CGROUP_ID),
                u32(e, PID), u32(e, TID), u32(e, UID),
                new String(e.asSlice(COMM, commLength(e)).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                        StandardCharsets.UTF_8),
                family == LibC.AF_INET ? 4 : 6,
                address(family, e.asSlice(SADDR, 16)), u16(e, LPORT),
                address(family, e.asSlice(DADDR, 16)), u16(e, DPORT),
                Result.of(u32(e, KIND), errno), errno);
    }

    /** Latency in whole microseconds, as bcc's delta_us. */
    public long latencyUs() {
        return latencyNs / 1000;
    }

    /** Per thread: inet_ntop's output at 0, a raw address to format at RAW. */
    private static final ThreadLocal<MemorySegment> SCRATCH =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(64));
    private static final long RAW = 48;

    /** inet_ntop(3) of a 4- or 16-byte address. */
    public static String address(byte[] bytes) {
        MemorySegment raw = SCRATCH.get().asSlice(RAW, 16);
        raw.copyFrom(MemorySegment.ofArray(bytes));
        return address(bytes.length == 4 ? LibC.AF_INET : LibC.AF_INET6, raw);
    }

    /** inet_ntop(3) of a 4- or 16-byte address. */
    public static String address(int family, MemorySegment bytes) {
        MemorySegment text = SCRATCH.get().asSlice(0, LibC.ADDRSTRLEN);
        int n = LibC.inetNtop(family, bytes, text);
        return new String(text.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                StandardCharsets.US_ASCII);
    }
}
