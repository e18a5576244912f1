package dev.tcpconnlat.trace;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import dev.tcpconnlat.event.Buckets;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
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
 *     __u8 mode;
 *     __u8 filter_uid;
 *     __u8 report_failures;
 *     __u8 filter_dports;
 *     __u8 filter_cgroups;
 *     __u8 filter_mntns;
 *     __u8 count_by_lport;
 *     __u8 hist_by;
 *     __u8 hist_attempts;
 *     __u8 cgroup_names;
 *     __u8 daddr_groups;
 *     __u8 pad[3];
 *     __u64 hist_bounds[HIST_BOUNDS];
 * };
 * </pre>
 */
final class ConfigLayout {
    static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("min_latency_ns"),
            ValueLayout.JAVA_LONG.withName("wakeup_bytes"),
            ValueLayout.JAVA_INT.withName("tgid"),
            ValueLayout.JAVA_INT.withName("uid"),
            ValueLayout.JAVA_SHORT.withName("family"),
            ValueLayout.JAVA_BYTE.withName("mode"),
            ValueLayout.JAVA_BYTE.withName("filter_uid"),
            ValueLayout.JAVA_BYTE.withName("report_failures"),
            ValueLayout.JAVA_BYTE.withName("filter_dports"),
            ValueLayout.JAVA_BYTE.withName("filter_cgroups"),
            ValueLayout.JAVA_BYTE.withName("filter_mntns"),
            ValueLayout.JAVA_BYTE.withName("count_by_lport"),
            ValueLayout.JAVA_BYTE.withName("hist_by"),
            ValueLayout.JAVA_BYTE.withName("hist_attempts"),
            ValueLayout.JAVA_BYTE.withName("cgroup_names"),
            ValueLayout.JAVA_BYTE.withName("daddr_groups"),
            MemoryLayout.sequenceLayout(3, ValueLayout.JAVA_BYTE).withName("pad"),
            MemoryLayout.sequenceLayout(Buckets.BOUNDS, ValueLayout.JAVA_LONG).withName("hist_bounds"));

    private ConfigLayout() {}

    static void write(TraceConfig c, MemorySegment rodata) {
        if (rodata.byteSize() != LAYOUT.byteSize()) {
            throw new IllegalStateException("BPF .rodata is " + rodata.byteSize() + " bytes, struct config is "
                    + LAYOUT.byteSize() + ": tcpconn.h and ConfigLayout disagree");
        }
        rodata.fill((byte) 0);
        rodata.set(ValueLayout.JAVA_LONG, offset("min_latency_ns"), c.minLatencyNs());
        rodata.set(ValueLayout.JAVA_LONG, offset("wakeup_bytes"), c.wakeupBytes());
        rodata.set(ValueLayout.JAVA_INT, offset("tgid"), c.pid());
        rodata.set(ValueLayout.JAVA_INT, offset("uid"), (int) Math.max(c.uid(), 0));
        rodata.set(ValueLayout.JAVA_SHORT, offset("family"), (short) c.family());
        rodata.set(ValueLayout.JAVA_BYTE, offset("mode"), (byte) c.mode().ordinal());
        flag(rodata, "filter_uid", c.uid() >= 0);
        flag(rodata, "report_failures", c.reportFailures());
        flag(rodata, "filter_dports", !c.dports().isEmpty());
        flag(rodata, "filter_cgroups", c.cgroupMap() != null);
        flag(rodata, "filter_mntns", c.mountNsMap() != null);
        flag(rodata, "count_by_lport", c.countByLport());
        rodata.set(ValueLayout.JAVA_BYTE, offset("hist_by"), (byte) c.histogramKeyBits());
        flag(rodata, "hist_attempts", c.histogramAttempts());
        flag(rodata, "cgroup_names", c.cgroupNames() != null);
        flag(rodata, "daddr_groups", c.cidrs() != null);
        MemorySegment.copy(c.buckets().bounds(), 0, rodata, ValueLayout.JAVA_LONG, offset("hist_bounds"), Buckets.BOUNDS);
    }

    private static long offset(String field) {
        return LAYOUT.byteOffset(groupElement(field));
    }

    private static void flag(MemorySegment s, String field, boolean on) {
        s.set(ValueLayout.JAVA_BYTE, offset(field), (byte) (on ? 1 : 0));
    }
}
