package dev.tcpconnlat.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The exponential buckets: the kernel's bounds, the error bound, quantiles and differences. */
class LatencyHistogramTest {
    /** The C table (src/main/bpf/tcpconn.bpf.c, hist_bounds) and the Java one are the same numbers. */
    @Test
    void boundsAreTheKernels() throws Exception {
        String c = Files.readString(Path.of("src/main/bpf/tcpconn.bpf.c"));
        String table = c.substring(c.indexOf("hist_bounds[HIST_BOUNDS]"), c.indexOf("};", c.indexOf("hist_bounds[HIST_BOUNDS]")));
        Matcher m = Pattern.compile("(\\d+)ULL").matcher(table);
        int j = 0;
        while (m.find()) {
            assertThat(LatencyHistogram.upperNs(j)).as("bound %d", j).isEqualTo(Long.parseLong(m.group(1)));
            j++;
        }
        assertThat(j).isEqualTo(LatencyHistogram.BOUNDS);
    }

    @Test
    void everyLatencyLiesInItsBucketAndItsMiddleIsWithinTenPercent() {
        for (long ns = 1000; ns < 1_000_000_000_000L; ns += ns / 991) {
            int j = LatencyHistogram.bucketOf(ns);
            assertThat(ns).isGreaterThan(LatencyHistogram.lowerNs(j)).isLessThanOrEqualTo(LatencyHistogram.upperNs(j));
            double error = Math.abs(LatencyHistogram.middleNs(j) - ns) / (double) ns;
            assertThat(error).as("%d ns", ns).isLessThanOrEqualTo(0.095);
        }
        assertThat(LatencyHistogram.bucketOf(0)).isZero();
        assertThat(LatencyHistogram.upperNs(-LatencyHistogram.MIN_INDEX)).isEqualTo(1_000_000_000L);
        assertThat(LatencyHistogram.bucketOf(1_000_000_000L)).isEqualTo(-LatencyHistogram.MIN_INDEX);
        assertThat(LatencyHistogram.bucketOf(Long.MAX_VALUE)).isEqualTo(LatencyHistogram.BUCKETS - 1);
    }

    @Test
    void quantilesAndDifferences() {
        HistogramKey key = new HistogramKey(0, "", 0, null, 0, Result.OK);
        long[] before = new long[LatencyHistogram.BUCKETS];
        long[] after = new long[LatencyHistogram.BUCKETS];
        before[LatencyHistogram.bucketOf(100_000)] = 3;
        after[LatencyHistogram.bucketOf(100_000)] = 10;
        after[LatencyHistogram.bucketOf(1_000_000_000)] = 1;
        LatencyHistogram a = new LatencyHistogram(key, 3, 300_000, before);
        LatencyHistogram b = new LatencyHistogram(key, 11, 1_001_000_000, after);
        LatencyHistogram d = b.minus(a);
        assertThat(d.total()).isEqualTo(8);
        assertThat(d.count()).isEqualTo(8);
        assertThat(d.quantileNs(0.5)).isBetween(90_500L, 109_500L);
        assertThat(d.maxNs()).isBetween(905_000_000L, 1_095_000_000L);
        assertThat(b.minus(null)).isSameAs(b);
    }
}
