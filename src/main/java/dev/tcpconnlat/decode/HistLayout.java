package dev.tcpconnlat.decode;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import dev.tcpconnlat.event.Buckets;
import dev.tcpconnlat.event.HistogramKey;
import dev.tcpconnlat.event.LatencyHistogram;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * The value of one in-kernel latency histogram (src/main/bpf/tcpconn.h):
 * <pre>
 * struct hist {
 *     __u64 count;
 *     __u64 sum_ns;
 *     __u64 max_ns;
 *     __u64 retrans;
 *     __u64 buckets[HIST_BUCKETS];
 * };
 * </pre>
 */
public final class HistLayout {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("count"),
            ValueLayout.JAVA_LONG.withName("sum_ns"),
            ValueLayout.JAVA_LONG.withName("max_ns"),
            ValueLayout.JAVA_LONG.withName("retrans"),
            MemoryLayout.sequenceLayout(Buckets.BUCKETS, ValueLayout.JAVA_LONG).withName("buckets"));
    private static final long COUNT = offset("count");
    private static final long SUM = offset("sum_ns");
    private static final long MAX = offset("max_ns");
    private static final long RETRANS = offset("retrans");
    private static final long BUCKETS = offset("buckets");

    private HistLayout() {}

    public static LatencyHistogram decode(HistogramKey key, Buckets scale, MemorySegment value) {
        long[] buckets = new long[Buckets.BUCKETS];
        MemorySegment.copy(value, ValueLayout.JAVA_LONG, BUCKETS, buckets, 0, Buckets.BUCKETS);
        return new LatencyHistogram(key, scale, EventLayout.u64(value, COUNT), EventLayout.u64(value, SUM),
                EventLayout.u64(value, MAX), EventLayout.u64(value, RETRANS), buckets);
    }

    private static long offset(String field) {
        return LAYOUT.byteOffset(groupElement(field));
    }
}
