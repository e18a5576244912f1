package dev.tcpconnlat.histogram;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpconnlat.event.HistogramKey;
import dev.tcpconnlat.event.LatencyHistogram;
import dev.tcpconnlat.event.Result;
import dev.tcpconnlat.output.Output;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class Log2TableTest {
    private static final HistogramKey KEY = new HistogramKey(0, "", 0, null, 0, Result.OK);

    private static LatencyHistogram of(long... latenciesUs) {
        long[] b = new long[LatencyHistogram.BUCKETS];
        long sum = 0;
        for (long us : latenciesUs) {
            b[LatencyHistogram.bucketOf(us * 1000)]++;
            sum += us * 1000;
        }
        return new LatencyHistogram(KEY, latenciesUs.length, sum, b);
    }

    private static String printed(LatencyHistogram h, boolean millis) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Output out = new Output(bytes);
        Log2Table.print(h, millis, out);
        out.flush();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The expected text was printed by bcc's _print_log2_hist (Python) for the same slot counts. */
    @Test
    void matchesBccByteForByte() throws Exception {
        long[] us = new long[30 + 86 + 2];
        int n = 0;
        // latencies whose buckets lie well inside one slot
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

    @Test
    void millisecondsAndTheSummaryLine() throws Exception {
        LatencyHistogram h = of(100, 100, 100, 1_000_000, 3_000_000);
        assertThat(printed(h, true).lines().toList()).first().isEqualTo("     msecs               : count     distribution");
        // 1 s is in the bucket (840.9, 1000] ms, 3 s in (2828.4, 3363.6] ms
        assertThat(printed(h, true)).contains("       512 -> 1023       : 1 ").contains("      2048 -> 4095       : 1 ");
        assertThat(HistogramReport.summary(h)).isEqualTo(
                "count 5  p50 0.094 ms  p90 3096.006 ms  p99 3096.006 ms  max 3096.006 ms");
    }

    @Test
    void anEmptyHistogramPrintsNoTable() throws Exception {
        assertThat(printed(of(), false)).isEmpty();
        assertThat(List.of(HistogramReport.summary(of()))).containsExactly(
                "count 0  p50 0.000 ms  p90 0.000 ms  p99 0.000 ms  max 0.000 ms");
    }
}
