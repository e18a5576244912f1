package dev.tcpconnlat.event;

/**
 * One in-kernel latency histogram and its key, over the {@link Buckets}
 * the kernel was loaded with. {@code maxNs} is the longest latency since the kernel created
 * the histogram (exact, kept by the kernel).
 */
public record LatencyHistogram(HistogramKey key, Buckets scale, long count, long sumNs, long maxNs,
        long synRetransmits, long[] buckets) {
    /** The connects in the buckets (read at one instant, they may be one or two ahead of {@link #count}). */
    public long total() {
        long n = 0;
        for (long b : buckets) {
            n += b;
        }
        return n;
    }

    /**
     * What was added since {@code earlier}, the same histogram read before (null: nothing
     * before). The maximum is kept only when it grew in between, for then it happened in between;
     * otherwise it is 0: unknown, see {@link #maxEstimateNs}.
     */
    public LatencyHistogram minus(LatencyHistogram earlier) {
        if (earlier == null) {
            return this;
        }
        long[] b = new long[Buckets.BUCKETS];
        for (int i = 0; i < Buckets.BUCKETS; i++) {
            b[i] = buckets[i] - earlier.buckets[i];
        }
        return new LatencyHistogram(key, scale, count - earlier.count, sumNs - earlier.sumNs,
                maxNs > earlier.maxNs ? maxNs : 0, synRetransmits - earlier.synRetransmits, b);
    }

    /** Both together, under {@code key}. */
    public LatencyHistogram plus(LatencyHistogram other, HistogramKey key) {
        long[] b = buckets.clone();
        for (int i = 0; i < Buckets.BUCKETS; i++) {
            b[i] += other.buckets[i];
        }
        return new LatencyHistogram(key, scale, count + other.count, sumNs + other.sumNs,
                Math.max(maxNs, other.maxNs), synRetransmits + other.synRetransmits, b);
    }

    /**
     * An estimate of the latency below which a fraction {@code q} of the connects fall, in ns:
     * the middle of its bucket (within 9.5 %), or the exact maximum when that is lower.
     */
    public long quantileNs(double q) {
        long n = total();
        if (n == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * n));
        long seen = 0;
        for (int i = 0; i < Buckets.BUCKETS; i++) {
            seen += buckets[i];
            if (seen >= rank) {
                return maxNs > 0 ? Math.min(scale.middleNs(i), maxNs) : scale.middleNs(i);
            }
        }
        return scale.middleNs(Buckets.BUCKETS - 1);
    }

    /** The exact maximum when it is known ({@link #maxNs} > 0), else the middle of the last bucket not empty. */
    public long maxEstimateNs() {
        if (maxNs > 0) {
            return maxNs;
        }
        for (int i = Buckets.BUCKETS - 1; i >= 0; i--) {
            if (buckets[i] > 0) {
                return scale.middleNs(i);
            }
        }
        return 0;
    }
}
