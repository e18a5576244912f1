package dev.tcpconnlat.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * deploy/grafana's dashboard and deploy/prometheus' rules against real data: Debian's Prometheus
 * scrapes the exporter as shipped (and evaluates the rules) while connects are made, some
 * answered, some refused, one slow (its first SYN dropped by nftables); then every query of
 * every panel, with the dashboard's variables as Grafana fills them, must answer, with sane
 * values: ratios in 0..1, p50 <= p90 <= p99, the slow destination first, failures counted as
 * made, the exporter healthy.
 */
class DashboardKernelTest {
    static final Path DASHBOARD = Path.of("deploy/grafana/tcpconnlat.json").toAbsolutePath();
    static final Path RULES = Path.of("deploy/prometheus/tcpconnlat.rules.yml").toAbsolutePath();
    private final ObjectMapper json = new ObjectMapper();
    private String api;

    @BeforeEach
    void root() {
        Kernel.requireRoot();
    }

    @Test
    void everyPanelAnswersWithSaneValues() throws Exception {
        Path dir = Files.createTempDirectory("tcpconnlat-dashboard");
        String nft = "tcpconnlat_dash_" + ProcessHandle.current().pid();
        int promPort = ExporterKernelTest.freePort();
        api = "http://127.0.0.1:" + promPort + "/api/v1/query?query=";
        Process prometheus = null;
        try (Listener answered = new Listener("127.0.0.1"); Listener slow = new Listener("127.0.0.1");
                ExporterKernelTest.Served exporter = ExporterKernelTest.Served.start("--labels", "unit,peer,daddr,dport")) {
            int refused = Listener.closedPort("127.0.0.1");
            String target = exporter.url().replace("http://", "").replace("/metrics", "");
            Files.writeString(dir.resolve("prometheus.yml"), """
                    global:
                      scrape_interval: 1s
                      evaluation_interval: 1s
                    rule_files: ['%s']
                    scrape_configs:
                      - job_name: tcpconnlat-exporter
                        static_configs:
                          - targets: ['%s']
                    """.formatted(RULES, target));
            prometheus = new ProcessBuilder("prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                    "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + promPort)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();

            // one connect of each kind first, so that Prometheus has each series before the counted ones
            // (increase() counts from a series' first sample)
            Kernel.waitFor(Kernel.connect("127.0.0.1", answered.port()));
            Kernel.waitFor(Kernel.connect("127.0.0.1", refused));
            Kernel.waitFor(Kernel.connect("127.0.0.1", slow.port()));
            await("count(tcpconnlat_connect_duration_seconds_count{dport=~\"" + answered.port() + "|" + refused + "|"
                    + slow.port() + "\"})", r -> r.size() == 1 && value(r.get(0)) == 3);
            TcpConnLatKernelTest.sleep(15_000);

            for (int i = 0; i < 10; i++) {
                Kernel.waitFor(Kernel.connect("127.0.0.1", answered.port()));
            }
            for (int i = 0; i < 5; i++) {
                Kernel.waitFor(Kernel.connect("127.0.0.1", refused));
            }
            Kernel.run("nft", "add table inet " + nft + " ; add chain inet " + nft
                    + " in { type filter hook input priority 0 ; } ; add rule inet " + nft + " in tcp dport "
                    + slow.port() + " tcp flags & (syn | ack) == syn quota until 100 bytes drop");
            try {
                assertThat(Kernel.waitFor(Kernel.connect("127.0.0.1", slow.port()))).isZero();
            } finally {
                Kernel.run("nft", "delete table inet " + nft);
            }
            await("sum(tcpconnlat_connect_duration_seconds_count{dport=\"" + refused + "\"})",
                    r -> r.size() == 1 && value(r.get(0)) == 6);
            TcpConnLatKernelTest.sleep(3000);

            JsonNode dashboard = json.readTree(DASHBOARD.toFile());
            for (String by : List.of("unit", "dport")) {
                for (JsonNode panel : dashboard.get("panels")) {
                    if (!panel.has("targets")) {
                        continue; // a row
                    }
                    String title = panel.get("title").asText();
                    List<JsonNode> results = new ArrayList<>();
                    for (JsonNode t : panel.get("targets")) {
                        String expr = fill(t.get("expr").asText(), by);
                        JsonNode r = query(expr);
                        assertThat(r).as(title + ": " + expr).isNotEmpty();
                        for (JsonNode series : r) { // NaN: a quantile or ratio of no connects in the window
                            assertThat(value(series)).as(title + ": " + series).satisfiesAnyOf(
                                    v -> assertThat(v).isNaN(), v -> assertThat(v).isGreaterThanOrEqualTo(0));
                        }
                        results.add(r);
                    }
                    sane(title, panel, results, by, Map.of("answered", answered.port(), "refused", refused, "slow", slow.port()));
                }
            }

            // the recording rules on the same data (the alerts' thresholds are promtool's tests)
            JsonNode ratio = query("destination:tcpconnlat_connect_failures:ratio_rate5m{dport=\"" + refused + "\"}");
            assertThat(ratio).hasSize(1);
            assertThat(value(ratio.get(0))).isEqualTo(1.0);
            JsonNode p99 = query("service:tcpconnlat_connect_duration_seconds:p99_5m");
            assertThat(p99).isNotEmpty();
            assertThat(value(p99.get(0))).isBetween(0.0, 2.5);
        } finally {
            if (prometheus != null) {
                prometheus.destroy();
                prometheus.waitFor(10, TimeUnit.SECONDS);
            }
            Kernel.bash("nft delete table inet " + nft + " 2>/dev/null");
        }
    }

    /** What each panel shows must make sense for the connects made. */
    private void sane(String title, JsonNode panel, List<JsonNode> results, String by, Map<String, Integer> ports) {
        String unit = panel.path("fieldConfig").path("defaults").path("unit").asText();
        if (unit.equals("percentunit")) {
            results.forEach(r -> r.forEach(s -> assertThat(value(s)).as(title + ": " + s).satisfiesAnyOf(
                    v -> assertThat(v).isNaN(), v -> assertThat(v).isBetween(0.0, 1.0))));
        }
        if (title.startsWith("Connect latency p50")) { // p50, p90, p99 of each label set
            Map<String, double[]> q = new HashMap<>();
            for (int i = 0; i < 3; i++) {
                for (JsonNode s : results.get(i)) {
                    q.computeIfAbsent(s.get("metric").toString(), k -> new double[3])[i] = value(s);
                }
            }
            q.forEach((labels, v) -> { // NaN: none of that label set's connects in the window
                if (!Double.isNaN(v[0])) {
                    assertThat(v[0]).as(title + " " + labels).isLessThanOrEqualTo(v[1]);
                    assertThat(v[1]).as(title + " " + labels).isLessThanOrEqualTo(v[2]);
                }
            });
            if (by.equals("dport")) {
                assertThat(q.get("{\"dport\":\"" + ports.get("slow") + "\"}")[2]).as("the slow port's p99").isBetween(1.0, 2.5);
            }
        } else if (title.startsWith("Failure ratio")) {
            assertThat(results.get(0)).anySatisfy(s -> assertThat(s.get("metric").path("result").asText()).isEqualTo("refused"));
        } else if (title.startsWith("SYN retransmits") && by.equals("dport")) {
            assertThat(results.get(0)).anySatisfy(s -> {
                assertThat(s.get("metric").path("dport").asText()).isEqualTo(ports.get("slow").toString());
                assertThat(value(s)).isPositive();
            });
        } else if (title.startsWith("Slowest destinations")) {
            JsonNode top = max(results.get(0));
            assertThat(top.get("metric").path("dport").asText()).isEqualTo(ports.get("slow").toString());
            assertThat(value(top)).isBetween(1.0, 2.5);
        } else if (title.startsWith("Most failing destinations")) {
            assertThat(results.get(0)).anySatisfy(s -> {
                assertThat(s.get("metric").path("dport").asText()).isEqualTo(ports.get("refused").toString());
                assertThat(s.get("metric").path("result").asText()).isEqualTo("refused");
                assertThat(s.get("metric").path("peer").asText()).isEqualTo("localhost");
                assertThat(Math.round(value(s))).as("refused connects made while scraped").isEqualTo(5);
            });
        } else if (title.startsWith("Series dropped")) {
            results.get(0).forEach(s -> assertThat(value(s)).isZero());
        } else if (title.startsWith("Scrape duration")) {
            results.forEach(r -> r.forEach(s -> assertThat(value(s)).isPositive().isLessThan(10.0)));
        } else if (title.startsWith("Exporters up")) {
            assertThat(value(results.get(0).get(0))).isEqualTo(1.0);
            assertThat(value(results.get(1).get(0))).isEqualTo(1.0);
        }
    }

    /** A panel's query as Grafana sends it: its variables filled (every one "All" but $by). */
    static String fill(String expr, String by) {
        return expr.replace("$__rate_interval", "1m").replace("$__range", "1h").replace("$by", by)
                .replace("$job", "tcpconnlat-exporter").replaceAll("\\$(instance|unit|namespace|pod|peer)\\b", ".*");
    }

    private JsonNode query(String expr) throws Exception {
        String body = ExporterKernelTest.get(api + URLEncoder.encode(expr, StandardCharsets.UTF_8));
        assertThat(body).as("Prometheus answers " + expr).isNotNull();
        JsonNode answer = json.readTree(body);
        assertThat(answer.get("status").asText()).as(expr + ": " + body).isEqualTo("success");
        return answer.get("data").get("result");
    }

    private void await(String expr, java.util.function.Predicate<JsonNode> done) {
        JsonNode[] last = new JsonNode[1];
        ExporterKernelTest.await(() -> {
            try {
                last[0] = query(expr);
            } catch (Exception | AssertionError e) {
                return false;
            }
            return done.test(last[0]);
        }, expr + " (last: " + last[0] + ")");
    }

    private static JsonNode max(JsonNode series) {
        JsonNode top = null;
        for (JsonNode s : series) {
            if (top == null || value(s) > value(top)) {
                top = s;
            }
        }
        return top;
    }

    static double value(JsonNode series) {
        return Double.parseDouble(series.get("value").get(1).asText());
    }
}
