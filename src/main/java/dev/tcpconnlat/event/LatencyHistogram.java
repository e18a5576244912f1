package dev.tcpconnlat.event;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * One in-kernel latency histogram and its key (src/main/bpf/tcpconn.h): log-linear buckets of
 * microseconds, {@link #SLOTS} per power of two, so the middle of a bucket is within 12.5 % of
 * every latency in it.
 * <pre>
 * struct hist {
 *     __u64 count;
 *     __u64 sum_ns;
 *     __u64 buckets[HIST_BUCKETS];
 * };
 * </pre>
 * Bucket i < 4 holds i us; from 4 us on, bucket 4 (k - 1) + s holds [(4 + s) 2^(k-2), (5 + s) 2^(k-2)) us;
 * the last bucket also holds everything longer.
 */
public record LatencyHistogram(HistogramKey key, long count, long sumNs, long[] buckets) {
    public static final int SLOTS = 4;
    public static final int BUCKETS = 112;
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("count"),
            ValueLayout.JAVA_LONG.withName("sum_ns"),
            MemoryLayout.sequenceLayout(BUCKETS, ValueLayout.JAVA_LONG).withName("buckets"));
    private static final long BUCKETS_OFFSET = LAYOUT.byteOffset(groupElement("buckets"));

    public static LatencyHistogram decode(HistogramKey key, MemorySegment value) {
        long[] buckets = new long[BUCKETS];
        MemorySegment.copy(value, ValueLayout.JAVA_LONG, BUCKETS_OFFSET, buckets, 0, BUCKETS);
        return new LatencyHistogram(key, EventLayout.u64(value, 0), EventLayout.u64(value, 8), buckets);
    }

    /** The smallest latency, in microseconds, of bucket {@code i}. */
    public static long lowUs(int i) {
        if (i < SLOTS) {
            return i;
        }
        int k = i / SLOTS + 1;
        return (long) (SLOTS + i % SLOTS) << (k - 2);
    }

    /** One more than the largest latency of bucket {@code i} (the last bucket has no end: its start doubled). */
    public static long endUs(int i) {
        return i < SLOTS ? i + 1 : lowUs(i) + (1L << (i / SLOTS - 1));
    }

    /** The value that stands for bucket {@code i}: its middle. */
    public static long middleUs(int i) {
        return i < SLOTS ? i : (lowUs(i) + endUs(i)) / 2;
    }

    /** The bucket of {@code us} microseconds, as the kernel computes it. */
    public static int bucketOf(long us) {
        if (us < SLOTS) {
            return (int) Math.max(us, 0);
        }
        int k = 63 - Long.numberOfLeadingZeros(us);
        int i = SLOTS * (k - 1) + (int) ((us >> (k - 2)) & (SLOTS - 1));
        return Math.min(i, BUCKETS - 1);
    }

    /** The connects in the buckets (read at one instant, they may be one or two ahead of {@link #count}). */
    public long total() {
        long n = 0;
        for (long b : buckets) {
            n += b;
        }
        return n;
    }

    /** What was added since {@code earlier}, the same histogram read before (null: nothing before). */
    public LatencyHistogram minus(LatencyHistogram earlier) {
        if (earlier == null) {
            return this;
        }
        long[] b = new long[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            b[i] = buckets[i] - earlier.buckets[i];
        }
        return new LatencyHistogram(key, count - earlier.count, sumNs - earlier.sumNs, b);
    }

    /** Both together, under {@code key}. */
    public LatencyHistogram plus(LatencyHistogram other, HistogramKey key) {
        long[] b = buckets.clone();
        for (int i = 0; i < BUCKETS; i++) {
            b[i] += other.buckets[i];
        }
        return new LatencyHistogram(key, count + other.count, sumNs + other.sumNs, b);
    }

    /** The latency below which a fraction {@code q} of the connects fall, in microseconds (a bucket's middle). */
    public long quantileUs(double q) {
        long n = total();
        if (n == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * n));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += buckets[i];
            if (seen >= rank) {
                return middleUs(i);
            }
        }
        return middleUs(BUCKETS - 1);
    }

    /** The largest latency, in microseconds (the middle of the last bucket that is not empty). */
    public long maxUs() {
        for (int i = BUCKETS - 1; i >= 0; i--) {
            if (buckets[i] > 0) {
                return middleUs(i);
            }
        }
        return 0;
    }
}
