package dev.tcpconnlat.event;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * One in-kernel latency histogram and its key (src/main/bpf/tcpconn.h). The buckets are
 * exponential, 4 per power of two: Prometheus native histogram schema 2, in seconds. Bucket j
 * holds latencies in ({@link #upperNs upperNs}(j - 1), upperNs(j)], with upperNs(j) =
 * 1e9 * 2^((j + {@link #MIN_INDEX}) / 4) ns, so it is at most 19 % wide and its middle is within
 * 9.5 % of every latency in it. Bucket 0 also holds shorter ones, the last every latency over
 * 1024 s.
 * <pre>
 * struct hist {
 *     __u64 count;
 *     __u64 sum_ns;
 *     __u64 buckets[HIST_BUCKETS];
 * };
 * </pre>
 */
public record LatencyHistogram(HistogramKey key, long count, long sumNs, long[] buckets) {
    /** The native histogram index (schema 2) of bucket 0: its upper bound is 2^(-80/4) s = 0.95 us. */
    public static final int MIN_INDEX = -80;
    /** Buckets with an upper bound; one more holds the rest. */
    public static final int BOUNDS = 121;
    public static final int BUCKETS = BOUNDS + 1;
    private static final long[] UPPER_NS = new long[BOUNDS];

    static {
        for (int j = 0; j < BOUNDS; j++) {
            UPPER_NS[j] = (long) Math.floor(1e9 * Math.pow(2, (j + MIN_INDEX) / 4.0));
        }
    }

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

    /** The largest latency of bucket {@code j}, in ns (the kernel's hist_bounds); Long.MAX_VALUE for the last. */
    public static long upperNs(int j) {
        return j < BOUNDS ? UPPER_NS[j] : Long.MAX_VALUE;
    }

    /** The latency just below bucket {@code j}: the upper bound of the one before, 0 for the first. */
    public static long lowerNs(int j) {
        return j == 0 ? 0 : UPPER_NS[j - 1];
    }

    /** The value that stands for bucket {@code j}: its middle (the last bucket: its lower end). */
    public static long middleNs(int j) {
        return j < BOUNDS ? (lowerNs(j) + upperNs(j)) / 2 : lowerNs(j);
    }

    /** The bucket of a latency, as the kernel's hist_bucket() finds it. */
    public static int bucketOf(long ns) {
        int lo = 0;
        int hi = BOUNDS;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (ns <= UPPER_NS[mid]) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
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

    /** The latency below which a fraction {@code q} of the connects fall, in ns (a bucket's middle). */
    public long quantileNs(double q) {
        long n = total();
        if (n == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * n));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += buckets[i];
            if (seen >= rank) {
                return middleNs(i);
            }
        }
        return middleNs(BUCKETS - 1);
    }

    /** The largest latency, in ns (the middle of the last bucket that is not empty). */
    public long maxNs() {
        for (int i = BUCKETS - 1; i >= 0; i--) {
            if (buckets[i] > 0) {
                return middleNs(i);
            }
        }
        return 0;
    }
}
