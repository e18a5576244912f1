package dev.tcpconnlat.event;

import java.util.Arrays;

/**
 * The buckets of the kernel's latency histograms, chosen at load time (struct config's
 * hist_bounds): bucket j holds latencies in ({@link #upperNs upperNs}(j - 1), upperNs(j)] ns,
 * bucket 0 everything up to its bound, the last everything longer. Both kinds are exponential,
 * four buckets per power of two, so each is at most 2^(1/4) - 1 = 19 % wide:
 * <ul>
 * <li>{@link #seconds()}, the exporter's: Prometheus native histogram schema 2 in seconds,
 *     bounds 1e9 * 2^(i/4) ns for i = -80..40 (0.95 us to 1024 s);
 * <li>{@link #log2(long)}, tcpconnlat -H's: bounds 2^(m/4) units - 1 ns (a unit is a microsecond,
 *     or a millisecond with -m), so that every fourth bound closes a row of bcc's power-of-two
 *     table ([2^k, 2^(k+1) - 1] whole units) and each row is exactly four buckets.
 * </ul>
 */
public final class Buckets {
    /** Buckets with an upper bound (HIST_BOUNDS); one more holds the rest. */
    public static final int BOUNDS = 121;
    public static final int BUCKETS = BOUNDS + 1;
    /** The native histogram index (schema 2) of the exporter's bucket 0: 2^(-80/4) s = 0.95 us. */
    public static final int NATIVE_MIN_INDEX = -80;

    private static final Buckets SECONDS = seconds0();

    private final long[] upper;
    /** log2: the unit in ns and the exponent (in quarters) of bucket 0's upper edge; 0 for seconds. */
    private final long unitNs;
    private final int firstQuarter;

    private Buckets(long[] upper, long unitNs, int firstQuarter) {
        this.upper = upper;
        this.unitNs = unitNs;
        this.firstQuarter = firstQuarter;
    }

    /** The exporter's buckets: Prometheus native histogram schema 2, in seconds. */
    public static Buckets seconds() {
        return SECONDS;
    }

    private static Buckets seconds0() {
        long[] upper = new long[BOUNDS];
        for (int j = 0; j < BOUNDS; j++) {
            upper[j] = (long) Math.floor(1e9 * Math.pow(2, (j + NATIVE_MIN_INDEX) / 4.0));
        }
        return new Buckets(upper, 0, 0);
    }

    /**
     * tcpconnlat -H's buckets for rows of {@code unitNs} (1,000 for microseconds, 1,000,000 for
     * milliseconds): bucket 0 ends near 1 us in both, the last bound is about 20 minutes.
     */
    public static Buckets log2(long unitNs) {
        // edges 2^(m/4) units for m = first .. first + BOUNDS: from ~1.19 us up
        int first = unitNs >= 1_000_000 ? -39 : 1;
        long[] upper = new long[BOUNDS];
        for (int j = 0; j < BOUNDS; j++) {
            upper[j] = edge(unitNs, first + j) - 1;
        }
        return new Buckets(upper, unitNs, first);
    }

    /** ceil(unit * 2^(m/4)) ns; exact where m is a multiple of 4 (a row's first value). */
    private static long edge(long unitNs, int m) {
        if (m % 4 == 0) {
            int k = m / 4;
            return k >= 0 ? unitNs << k : -Math.floorDiv(-unitNs, 1L << -k);
        }
        return (long) Math.ceil(unitNs * Math.pow(2, m / 4.0));
    }

    /** The bounds, for struct config's hist_bounds. */
    public long[] bounds() {
        return upper.clone();
    }

    /** The largest latency of bucket {@code j}, in ns; Long.MAX_VALUE for the last. */
    public long upperNs(int j) {
        return j < BOUNDS ? upper[j] : Long.MAX_VALUE;
    }

    /** The latency just below bucket {@code j}: the upper bound of the one before, 0 for the first. */
    public long lowerNs(int j) {
        return j == 0 ? 0 : upper[j - 1];
    }

    /** The value that stands for bucket {@code j}: its middle (the last bucket: its lower end). */
    public long middleNs(int j) {
        return j < BOUNDS ? (lowerNs(j) + upperNs(j)) / 2 : lowerNs(j);
    }

    /** The bucket of a latency, as the kernel's hist_bucket() finds it. */
    public int bucketOf(long ns) {
        int i = Arrays.binarySearch(upper, ns);
        return i >= 0 ? i : -i - 1;
    }

    /**
     * The row of bcc's power-of-two table that holds bucket {@code j} of {@link #log2} buckets:
     * row 0 is 0 -> 1 units, row k >= 1 is 2^k -> 2^(k+1) - 1. The last bucket (over ~20 min)
     * counts in the row of its lower end.
     */
    public int row(int j) {
        if (unitNs == 0) {
            throw new IllegalStateException("rows are for log2 buckets");
        }
        int m = firstQuarter + j - 1; // bucket j starts at edge m (bucket 0: at 0)
        return j == 0 || m < 4 ? 0 : m / 4;
    }

    /** The row unit of {@link #log2} buckets, in ns. */
    public long unitNs() {
        return unitNs;
    }

    /** The Prometheus native histogram index (schema 2) of bucket {@code j} of {@link #seconds()}. */
    public static int nativeIndex(int j) {
        return j + NATIVE_MIN_INDEX;
    }
}
