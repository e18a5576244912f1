package dev.tcpconnlat.event;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The log-linear buckets: the same index as the kernel's hist_bucket(), and their error bound. */
class LatencyHistogramTest {
    @Test
    void everyLatencyLiesInItsBucketAndItsMiddleIsWithinTwelveAndAHalfPercent() {
        for (long us = 0; us < 200_000_000L; us = us < 5000 ? us + 1 : us + us / 997) {
            int i = LatencyHistogram.bucketOf(us);
            if (i == LatencyHistogram.BUCKETS - 1) {
                break;
            }
            assertThat(us).isBetween(LatencyHistogram.lowUs(i), LatencyHistogram.endUs(i) - 1);
            double error = Math.abs(LatencyHistogram.middleUs(i) - us) / (double) Math.max(us, 1);
            assertThat(error).as("%d us", us).isLessThanOrEqualTo(0.125);
        }
    }

    @Test
    void bucketsCoverOneMicrosecondToOverTwoMinutes() {
        assertThat(LatencyHistogram.bucketOf(0)).isZero();
        assertThat(LatencyHistogram.bucketOf(1)).isEqualTo(1);
        assertThat(LatencyHistogram.bucketOf(4)).isEqualTo(4);
        assertThat(LatencyHistogram.bucketOf(5)).isEqualTo(5);
        assertThat(LatencyHistogram.bucketOf(8)).isEqualTo(8);
        assertThat(LatencyHistogram.bucketOf(120_000_000L)).isLessThan(LatencyHistogram.BUCKETS - 1);
        assertThat(LatencyHistogram.bucketOf(Long.MAX_VALUE)).isEqualTo(LatencyHistogram.BUCKETS - 1);
        for (int i = 1; i < LatencyHistogram.BUCKETS; i++) {
            assertThat(LatencyHistogram.lowUs(i)).isEqualTo(LatencyHistogram.endUs(i - 1));
        }
    }

    @Test
    void quantilesAndDifferences() {
        HistogramKey key = new HistogramKey(0, "", 0, null, 0, Result.OK);
        long[] before = new long[LatencyHistogram.BUCKETS];
        long[] after = new long[LatencyHistogram.BUCKETS];
        before[LatencyHistogram.bucketOf(100)] = 3;
        after[LatencyHistogram.bucketOf(100)] = 10;
        after[LatencyHistogram.bucketOf(1_000_000)] = 1;
        LatencyHistogram a = new LatencyHistogram(key, 3, 300_000, before);
        LatencyHistogram b = new LatencyHistogram(key, 11, 1_001_000_000, after);
        LatencyHistogram d = b.minus(a);
        assertThat(d.total()).isEqualTo(8);
        assertThat(d.count()).isEqualTo(8);
        assertThat(d.quantileUs(0.5)).isEqualTo(LatencyHistogram.middleUs(LatencyHistogram.bucketOf(100)));
        assertThat(d.maxUs()).isBetween(875_000L, 1_125_000L);
        assertThat(b.minus(null)).isSameAs(b);
    }
}
