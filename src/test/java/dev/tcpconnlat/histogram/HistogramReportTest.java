package dev.tcpconnlat.histogram;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpconnlat.event.Buckets;
import dev.tcpconnlat.event.HistogramKey;
import dev.tcpconnlat.event.LatencyHistogram;
import dev.tcpconnlat.event.Result;
import dev.tcpconnlat.output.Output;
import dev.tcpconnlat.trace.Label;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** -H --by peer: every connect counted once, whatever kernel key it was made under. */
class HistogramReportTest {
    private static final Buckets SCALE = Buckets.log2(1_000);

    private static LatencyHistogram connects(HistogramKey key, int n) {
        long[] b = new long[Buckets.BUCKETS];
        b[SCALE.bucketOf(50_000)] = n;
        return new LatencyHistogram(key, SCALE, n, 50_000L * n, 50_000, 0, b);
    }

    private static HistogramKey peer(String name, boolean byAddress, String daddr) {
        return new HistogramKey(0, "", 0, daddr, 0, Result.OK, 0, name, byAddress);
    }

    private static String print(HistogramReport report, List<LatencyHistogram> read) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Output out = new Output(bytes);
        report.print(read, out);
        out.flush();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void keysThatDecodeAlikeAreAddedNotSubtracted() throws Exception {
        HistogramReport report = new HistogramReport(Label.PEER, false, null);
        // two kernel keys that read the same (the same name, from two addresses, once decoded without them)
        String text = print(report, List.of(connects(peer("svc", true, null), 2), connects(peer("svc", true, null), 3),
                connects(peer("svc", false, null), 1)));
        assertThat(text).contains("peer = svc").contains("count 6 ");
    }

    @Test
    void aKeyWhosePeerIsNotKnownYetIsPrintedOnceItIs() throws Exception {
        HistogramReport report = new HistogramReport(Label.PEER, false, null);
        assertThat(print(report, List.of(connects(peer(null, true, "10.0.0.1"), 1)))).isEqualTo("count 0\n");
        String named = print(report, List.of(connects(peer("svc", true, "10.0.0.1"), 1)));
        assertThat(named).contains("peer = svc").contains("count 1 ");
    }
}
