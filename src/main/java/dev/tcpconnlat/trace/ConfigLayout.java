package dev.tcpconnlat.trace;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Writes {@link TraceConfig} into the BPF object's .rodata, whose only variable is
 * {@code const volatile struct config cfg} (src/main/bpf/tcpconn.h):
 * <pre>
 * struct config {
 *     __u64 min_latency_ns;
 *     __u64 wakeup_bytes;
 *     __u32 tgid;
 *     __u32 uid;
 *     __u16 family;
 *     __u8 filter_uid;
 *     __u8 report_failures;
 *     __u8 filter_dports;
 *     __u8 filter_cgroups;
 *     __u8 filter_mntns;
 *     __u8 count_attempts;
 *     __u8 count_by_lport;
 *     __u8 pad[7];
 * };
 * </pre>
 */
final class ConfigLayout {
    static final long SIZE = 40;

    private ConfigLayout() {}

    static void write(TraceConfig c, MemorySegment rodata) {
        if (rodata.byteSize() != SIZE) {
            throw new IllegalStateException("BPF .rodata is " + rodata.byteSize()
                    + " bytes, struct config is " + SIZE + ": tcpconn.h and ConfigLayout disagree");
        }
        rodata.fill((byte) 0);
        rodata.set(ValueLayout.JAVA_LONG, 0, c.minLatencyNs());
        rodata.set(ValueLayout.JAVA_LONG, 8, c.wakeupBytes());
        rodata.set(ValueLayout.JAVA_INT, 16, c.pid());
        rodata.set(ValueLayout.JAVA_INT, 20, (int) Math.max(c.uid(), 0));
        rodata.set(ValueLayout.JAVA_SHORT, 24, (short) c.family());
        flag(rodata, 26, c.uid() >= 0);
        flag(rodata, 27, c.reportFailures());
        flag(rodata, 28, !c.dports().isEmpty());
        flag(rodata, 29, c.cgroupMap() != null);
        flag(rodata, 30, c.mountNsMap() != null);
        flag(rodata, 31, c.mode() == TraceConfig.Mode.COUNT);
        flag(rodata, 32, c.countByLport());
    }

    private static void flag(MemorySegment s, long offset, boolean on) {
        s.set(ValueLayout.JAVA_BYTE, offset, (byte) (on ? 1 : 0));
    }
}
