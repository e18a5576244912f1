package dev.tcpconnlat.event;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The kernel's histogram buckets as user space chooses them, quantiles, maxima and differences. */
class BucketsTest {
    /** The exporter's: Prometheus native histogram schema 2 in seconds, as Python computes them. */
    @Test
    void secondsAreSchemaTwo() {
        Buckets s = Buckets.seconds();
        assertThat(s.upperNs(0)).isEqualTo(953);
        assertThat(s.upperNs(-Buckets.NATIVE_MIN_INDEX)).isEqualTo(1_000_000_000L);
        assertThat(s.upperNs(Buckets.BOUNDS - 1)).isEqualTo(1_024_000_000_000L);
        assertThat(s.upperNs(41)).isEqualTo(1_161_335L); // floor(1e9 * 2 ** (-39 / 4))
        assertThat(s.bucketOf(1_000_000_000L)).isEqualTo(-Buckets.NATIVE_MIN_INDEX);
        assertThat(s.bucketOf(Long.MAX_VALUE)).isEqualTo(Buckets.BUCKETS - 1);
        assertThat(Buckets.nativeIndex(0)).isEqualTo(-80);
    }

    @ParameterizedTest(name = "unit {0} ns")
    @ValueSource(longs = {1_000, 1_000_000})
    void everyLatencyIsInItsBucketWithinTenPercentOfItsMiddle(long unit) {
        Buckets b = unit == 0 ? Buckets.seconds() : Buckets.log2(unit);
        for (long ns = 2000; ns < 1_000_000_000_000L; ns += ns / 991) {
            int j = b.bucketOf(ns);
            assertThat(ns).isGreaterThan(b.lowerNs(j)).isLessThanOrEqualTo(b.upperNs(j));
            assertThat(Math.abs(b.middleNs(j) - ns) / (double) ns).as("%d ns", ns).isLessThanOrEqualTo(0.095);
        }
        assertThat(b.bucketOf(0)).isZero();
    }

    /**
     * -H's rows are bcc's: a latency of v whole units (truncated, as bcc does) is in row
     * floor(log2 v) (0 and 1 in row 0), for every v up to 2^20 units and at every row edge.
     */
    @ParameterizedTest(name = "unit {0} ns")
    @ValueSource(longs = {1_000, 1_000_000})
    void eachRowIsExactlyItsBuckets(long unit) {
        Buckets b = Buckets.log2(unit);
        for (long v = 0; v < 1 << 20; v += v < 4096 ? 1 : v / 512) {
            int row = v < 2 ? 0 : 63 - Long.numberOfLeadingZeros(v);
            for (long ns : new long[] {v * unit, v * unit + unit - 1}) {
                assertThat(b.row(b.bucketOf(ns))).as("%d ns (%d units)", ns, v).isEqualTo(row);
            }
        }
        assertThat(b.upperNs(b.bucketOf(2 * unit - 1))).as("a bound closes the first row").isEqualTo(2 * unit - 1);
    }

    /** One SYN retransmitted after the 1 s timeout: bcc puts 1,012 ms in 524288 -> 1048575 us, 512 -> 1023 ms. */
    @Test
    void aOneSecondConnectIsInBccsRow() {
        assertThat(Buckets.log2(1_000).row(Buckets.log2(1_000).bucketOf(1_012_000_000L))).isEqualTo(19);
        assertThat(Buckets.log2(1_000_000).row(Buckets.log2(1_000_000).bucketOf(1_012_000_000L))).isEqualTo(9);
    }

    @Test
    void quantilesMaximaAndDifferences() {
        HistogramKey key = new HistogramKey(0, "", 0, null, 0, Result.OK, 0, null, false);
        Buckets s = Buckets.seconds();
        long[] before = new long[Buckets.BUCKETS];
        long[] after = new long[Buckets.BUCKETS];
        before[s.bucketOf(100_000)] = 3;
        after[s.bucketOf(100_000)] = 10;
        after[s.bucketOf(1_012_000_000)] = 1;
        LatencyHistogram a = new LatencyHistogram(key, s, 3, 300_000, 100_000, 0, before);
        LatencyHistogram b = new LatencyHistogram(key, s, 11, 1_013_000_000, 1_012_000_000, 1, after);
        LatencyHistogram d = b.minus(a);
        assertThat(d.total()).isEqualTo(8);
        assertThat(d.count()).isEqualTo(8);
        assertThat(d.quantileNs(0.5)).isBetween(90_500L, 109_500L);
        assertThat(d.maxNs()).as("the longest so far came in between: exact").isEqualTo(1_012_000_000L);
        assertThat(d.quantileNs(1.0)).as("no estimate above the exact max").isEqualTo(1_012_000_000L);
        LatencyHistogram same = b.minus(b);
        assertThat(same.maxNs()).as("no new maximum: unknown").isZero();
        assertThat(b.minus(null)).isSameAs(b);
    }
}
