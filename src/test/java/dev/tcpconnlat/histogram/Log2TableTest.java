package dev.tcpconnlat.histogram;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpconnlat.event.Buckets;
import dev.tcpconnlat.event.HistogramKey;
import dev.tcpconnlat.event.LatencyHistogram;
import dev.tcpconnlat.event.Result;
import dev.tcpconnlat.output.Output;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class Log2TableTest {
    private static final HistogramKey KEY = new HistogramKey(0, "", 0, null, 0, Result.OK, 0, null, false);

    private static LatencyHistogram of(boolean millis, long... latenciesUs) {
        Buckets scale = Buckets.log2(millis ? 1_000_000 : 1_000);
        long[] b = new long[Buckets.BUCKETS];
        long sum = 0;
        long max = 0;
        for (long us : latenciesUs) {
            b[scale.bucketOf(us * 1000)]++;
            sum += us * 1000;
            max = Math.max(max, us * 1000);
        }
        return new LatencyHistogram(KEY, scale, latenciesUs.length, sum, max, 0, b);
    }

    private static LatencyHistogram of(long... latenciesUs) {
        return of(false, latenciesUs);
    }

    private static String printed(LatencyHistogram h, boolean millis) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Output out = new Output(bytes);
        Log2Table.print(h, out);
        out.flush();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The expected text was printed by bcc's _print_log2_hist (Python) for the same slot counts. */
    @Test
    void matchesBccByteForByte() throws Exception {
        long[] us = new long[30 + 86 + 2];
        int n = 0;
        for (int i = 0; i < 30; i++) {
            us[n++] = 5;
        }
        for (int i = 0; i < 86; i++) {
            us[n++] = 11;
        }
        us[n++] = 22;
        us[n++] = 23;
        assertThat(printed(of(us), false)).isEqualTo("""
                     usecs               : count     distribution
                         0 -> 1          : 0        |                                        |
                         2 -> 3          : 0        |                                        |
                         4 -> 7          : 30       |*************                           |
                         8 -> 15         : 86       |****************************************|
                        16 -> 31         : 2        |                                        |
                """);
    }

    /** Row edges are exact: 1023 ms and 1024 ms are in two rows, as bcc has them. */
    @Test
    void millisecondsAndTheSummaryLine() throws Exception {
        LatencyHistogram h = of(true, 100, 100, 100, 1_023_999, 1_024_000);
        assertThat(printed(h, true).lines().toList()).first().isEqualTo("     msecs               : count     distribution");
        assertThat(printed(h, true)).contains("         0 -> 1          : 3 ").contains("       512 -> 1023       : 1 ")
                .contains("      1024 -> 2047       : 1 ");
        assertThat(HistogramReport.summary(h)).isEqualTo(
                "count 5  p50 ~0.0968 ms  p90 ~1020 ms  p99 ~1020 ms  max 1024.000 ms");
    }

    /** An estimate never prints above the exact maximum: 1,026.9 ms is ~1020, not ~1030. */
    @Test
    void estimatesStayBelowTheMaximum() {
        LatencyHistogram h = of(true, 1_026_903);
        assertThat(HistogramReport.summary(h)).isEqualTo(
                "count 1  p50 ~1020 ms  p90 ~1020 ms  p99 ~1020 ms  max 1026.903 ms");
    }

    @Test
    void anEmptyHistogramPrintsNoTable() throws Exception {
        assertThat(printed(of(), false)).isEmpty();
        assertThat(List.of(HistogramReport.summary(of()))).containsExactly("count 0");
    }
}
