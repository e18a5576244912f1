package dev.tcpconnlat.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The exporter's OTLP push (--otlp.*) into a real receiver: Debian trixie's VictoriaMetrics
 * (unpacked by scripts/setup --test), which takes OTLP/HTTP protobuf at /opentelemetry/v1/metrics
 * and answers PromQL. What it stored must equal what the exporter's own scrape says, series by
 * series; with the receiver down, the exporter keeps serving, counts the failed pushes and says
 * so once, and the next push after the receiver is back carries every count.
 */
class OtlpKernelTest {
    /** Where scripts/setup --test unpacks it (VICTORIA_METRICS in scripts/env.sh). */
    static final Path VICTORIA_METRICS = Path.of("/var/cache/tcpconnlat/victoria-metrics/root/usr/bin/victoria-metrics");
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void root() {
        Kernel.requireRoot();
        dev.tcpconnlat.Prerequisite.require(Files.isExecutable(VICTORIA_METRICS),
                VICTORIA_METRICS + " is missing: run sudo ./scripts/setup --test");
    }

    @Test
    void pushedSeriesEqualTheScrapeAndSurviveTheReceiverGoingAway() throws Exception {
        Path dir = Files.createTempDirectory("tcpconnlat-otlp");
        int vmPort = ExporterKernelTest.freePort();
        int exporterPort = ExporterKernelTest.freePort();
        String vm = "http://127.0.0.1:" + vmPort;
        Process receiver = victoriaMetrics(dir, vmPort);
        Process exporter = null;
        try (Listener answered = new Listener("127.0.0.1")) {
            int refused = Listener.closedPort("127.0.0.1");
            exporter = new ProcessBuilder(Tool.command("tcpconnlat-exporter", "--web.listen-address",
                    "127.0.0.1:" + exporterPort, "--labels", "dport", "--otlp.endpoint", vm + "/opentelemetry",
                    "--otlp.interval", "1s", "--otlp.timeout", "2s", "--otlp.compression", "gzip",
                    "--otlp.headers", "X-Scope-OrgID=tcpconnlat%20test"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("exporter.log").toFile()).start();
            String metrics = "http://127.0.0.1:" + exporterPort + "/metrics";
            ExporterKernelTest.await(() -> ExporterKernelTest.get(metrics) != null, "the exporter serving " + metrics);

            for (int i = 0; i < 3; i++) {
                Kernel.waitFor(Kernel.connect("127.0.0.1", answered.port()));
            }
            for (int i = 0; i < 2; i++) {
                Kernel.waitFor(Kernel.connect("127.0.0.1", refused));
            }
            String ours = "dport=~\"" + answered.port() + "|" + refused + "\"";
            awaitStored(vm, "sum(tcpconnlat_connect_duration_seconds_count{" + ours + "})", 5);
            // every series of our two ports, as VictoriaMetrics has them and as the scrape has them
            Map<String, Double> stored = stored(vm, "{__name__=~\"tcpconnlat_connect.*\"," + ours + "}");
            Map<String, Double> scraped = scraped(ExporterKernelTest.get(metrics), answered.port(), refused);
            assertThat(stored).isEqualTo(scraped);
            assertThat(stored).containsEntry("tcpconnlat_connect_duration_seconds_count{dport=" + refused
                    + ",family=ipv4,result=refused}", 2.0);
            assertThat(stored).containsEntry("tcpconnlat_connect_attempts_total{dport=" + answered.port()
                    + ",family=ipv4}", 3.0);
            assertThat(stored).containsKey("tcpconnlat_connect_duration_seconds_bucket{dport=" + answered.port()
                    + ",family=ipv4,le=+Inf,result=ok}");
            JsonNode resource = query(vm, "tcpconnlat_exporter_build_info").get(0).get("metric");
            assertThat(resource.get("service.name").asText()).isEqualTo("tcpconnlat-exporter");
            assertThat(resource.get("host.name").asText()).isEqualTo(Files.readString(Path.of("/proc/sys/kernel/hostname")).strip());

            // the receiver goes away: scrapes still answer at once, failed pushes are counted, said once
            receiver.destroy();
            assertThat(receiver.waitFor(20, TimeUnit.SECONDS)).isTrue();
            Kernel.waitFor(Kernel.connect("127.0.0.1", refused));
            Kernel.waitFor(Kernel.connect("127.0.0.1", refused));
            ExporterKernelTest.await(() -> failures(ExporterKernelTest.get(metrics)) >= 3, "3 failed pushes");
            long t0 = System.nanoTime();
            assertThat(ExporterKernelTest.get(metrics)).contains("tcpconnlat_connect_attempts_total");
            assertThat((System.nanoTime() - t0) / 1e9).as("a scrape while pushes fail").isLessThan(1.0);
            receiver = victoriaMetrics(dir, vmPort);
            awaitStored(vm, "sum(tcpconnlat_connect_duration_seconds_count{dport=\"" + refused + "\"})", 4);
            String log = Files.readString(dir.resolve("exporter.log"));
            assertThat(log.lines().filter(l -> l.contains("OTLP push to " + vm + "/opentelemetry/v1/metrics failed")))
                    .hasSize(1);
            ExporterKernelTest.await(() -> {
                try {
                    return Files.readString(dir.resolve("exporter.log")).contains("works again");
                } catch (java.io.IOException e) {
                    return false;
                }
            }, "the exporter saying that pushes work again");
            assertThat(exporter.isAlive()).isTrue();
        } finally {
            if (exporter != null) {
                exporter.destroy();
                assertThat(exporter.waitFor(10, TimeUnit.SECONDS)).isTrue();
            }
            receiver.destroy();
            receiver.waitFor(20, TimeUnit.SECONDS);
        }
    }

    /**
     * https: a receiver whose certificate our own CA signed (openssl) is pushed to with
     * --otlp.certificate (and a client certificate offered); without it the push fails on the
     * certificate, counted and said once; a client key that is not the certificate's is one line,
     * exit 1.
     */
    @Test
    void pushesOverTlsToAReceiverTheGivenCaSigned() throws Exception {
        Path dir = Files.createTempDirectory("tcpconnlat-otlp-tls");
        Kernel.run("bash", "-c", "cd " + dir + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt"
                + " -days 2 -subj /CN=test-ca 2>/dev/null"
                + " && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null"
                + " && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext"
                + " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2"
                + " -extfile san.ext 2>/dev/null"
                + " && openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=exporter 2>/dev/null"
                + " && openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2 2>/dev/null");
        int vmPort = ExporterKernelTest.freePort();
        String vm = "https://127.0.0.1:" + vmPort;
        Process receiver = new ProcessBuilder(VICTORIA_METRICS.toString(), "-storageDataPath=" + dir.resolve("vm"),
                "-httpListenAddr=127.0.0.1:" + vmPort, "-search.latencyOffset=0s", "-tls",
                "-tlsCertFile=" + dir.resolve("server.crt"), "-tlsKeyFile=" + dir.resolve("server.key"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("vm.log").toFile()).start();
        Process trusting = null;
        Process untrusting = null;
        try {
            ExporterKernelTest.await(() -> curl(dir, vm + "/health").equals("OK"), "VictoriaMetrics over TLS");
            int trustingPort = ExporterKernelTest.freePort();
            trusting = new ProcessBuilder(Tool.command("tcpconnlat-exporter", "--web.listen-address",
                    "127.0.0.1:" + trustingPort, "--otlp.endpoint", vm + "/opentelemetry", "--otlp.interval", "1s",
                    "--otlp.certificate", dir.resolve("ca.crt").toString(),
                    "--otlp.client-certificate", dir.resolve("client.crt").toString(),
                    "--otlp.client-key", dir.resolve("client.key").toString()))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("trusting.log").toFile()).start();
            int untrustingPort = ExporterKernelTest.freePort();
            untrusting = new ProcessBuilder(Tool.command("tcpconnlat-exporter", "--web.listen-address",
                    "127.0.0.1:" + untrustingPort, "--otlp.endpoint", vm + "/opentelemetry", "--otlp.interval", "1s"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("untrusting.log").toFile()).start();
            String query = vm + "/api/v1/query?query=" + URLEncoder.encode("count(tcpconnlat_exporter_build_info)",
                    StandardCharsets.UTF_8);
            ExporterKernelTest.await(() -> curl(dir, query).contains("\"1\"]"), "the trusting exporter's series over TLS");
            String untrustingMetrics = "http://127.0.0.1:" + untrustingPort + "/metrics";
            ExporterKernelTest.await(() -> failures(ExporterKernelTest.get(untrustingMetrics)) >= 2,
                    "the untrusting exporter's failed pushes");
            assertThat(failures(ExporterKernelTest.get("http://127.0.0.1:" + trustingPort + "/metrics"))).isZero();
            assertThat(Files.readAllLines(dir.resolve("untrusting.log")).stream()
                    .filter(l -> l.contains("OTLP push to " + vm + "/opentelemetry/v1/metrics failed"))).hasSize(1);

            Process mismatched = new ProcessBuilder(Tool.command("tcpconnlat-exporter", "--otlp.endpoint", vm,
                    "--otlp.client-certificate", dir.resolve("server.crt").toString(),
                    "--otlp.client-key", dir.resolve("client.key").toString())).redirectErrorStream(true).start();
            String out = new String(mismatched.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(mismatched.waitFor()).as(out).isEqualTo(1);
            assertThat(out).isEqualTo("tcpconnlat-exporter: --otlp.client-key " + dir.resolve("client.key")
                    + " is not the key of the certificate in --otlp.client-certificate " + dir.resolve("server.crt") + "\n");
        } finally {
            for (Process p : new Process[] {trusting, untrusting, receiver}) {
                if (p != null) {
                    p.destroy();
                    p.waitFor(20, TimeUnit.SECONDS);
                }
            }
        }
    }

    private static String curl(Path dir, String url) {
        try {
            Process p = new ProcessBuilder("curl", "-s", "--max-time", "5", "--cacert", dir.resolve("ca.crt").toString(), url)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String body = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return body;
        } catch (java.io.IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** Bad --otlp.* values: one line, exit 2, nothing attached. */
    @Test
    void badOptionsAreUsageErrors() throws Exception {
        for (String[] args : new String[][] {
                {"--otlp.endpoint", "localhost:4318"},
                {"--otlp.endpoint", "ftp://x/"},
                {"--otlp.interval", "5s"},
                {"--otlp.endpoint", "http://x:4318", "--otlp.interval", "0s"},
                {"--otlp.endpoint", "http://x:4318", "--otlp.compression", "zstd"},
                {"--otlp.endpoint", "http://x:4318", "--otlp.headers", "novalue"},
                {"--otlp.endpoint", "http://x:4318", "--otlp.headers", "Host=y"},
                {"--otlp.endpoint", "http://x:4318", "--otlp.certificate", "/etc/hostname"},
                {"--otlp.endpoint", "https://x:4318", "--otlp.client-key", "/etc/hostname"}}) {
            Process p = new ProcessBuilder(Tool.command("tcpconnlat-exporter", args)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(String.join(" ", args) + ": " + out).isEqualTo(2);
            assertThat(out.lines().filter(l -> !l.isBlank() && !l.startsWith("Usage") && !l.startsWith("Try")).count())
                    .as(out).isLessThanOrEqualTo(1);
            assertThat(out).doesNotContain("Exception").contains("--otlp.");
        }
    }

    private Process victoriaMetrics(Path dir, int port) throws Exception {
        Process p = new ProcessBuilder(VICTORIA_METRICS.toString(), "-storageDataPath=" + dir.resolve("vm"),
                "-httpListenAddr=127.0.0.1:" + port, "-search.latencyOffset=0s", "-search.disableCache")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("vm.log").toFile()))
                .start();
        ExporterKernelTest.await(() -> ExporterKernelTest.get("http://127.0.0.1:" + port + "/health") != null,
                "VictoriaMetrics answering on " + port);
        return p;
    }

    private void awaitStored(String vm, String expr, double expected) {
        JsonNode[] last = new JsonNode[1];
        ExporterKernelTest.await(() -> {
            try {
                last[0] = query(vm, expr);
            } catch (Exception e) {
                return false;
            }
            return last[0].size() == 1 && Double.parseDouble(last[0].get(0).get("value").get(1).asText()) == expected;
        }, expr + " == " + expected + " in VictoriaMetrics (last: " + last[0] + ")");
    }

    private JsonNode query(String vm, String expr) throws Exception {
        String body = ExporterKernelTest.get(vm + "/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
        assertThat(body).as(expr).isNotNull();
        return json.readTree(body).get("data").get("result");
    }

    /** Series as name{label=value,...} (sorted labels, the resource's left out) -> value. */
    private Map<String, Double> stored(String vm, String selector) throws Exception {
        Map<String, Double> series = new TreeMap<>();
        for (JsonNode s : query(vm, selector)) {
            Map<String, String> labels = new TreeMap<>();
            s.get("metric").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            String name = labels.remove("__name__");
            labels.keySet().removeIf(k -> k.contains("."));
            series.put(key(name, labels), value(name, Double.parseDouble(s.get("value").get(1).asText())));
        }
        return series;
    }

    /** The same from the exporter's text: the lines of our ports, empty labels left out, as Prometheus does. */
    private static Map<String, Double> scraped(String body, int... ports) {
        Map<String, Double> series = new TreeMap<>();
        java.util.regex.Pattern line = java.util.regex.Pattern.compile("(tcpconnlat_connect\\w*)\\{(.*)\\} (\\S+)");
        java.util.regex.Pattern label = java.util.regex.Pattern.compile("(\\w+)=\"([^\"]*)\"");
        body.lines().forEach(l -> {
            java.util.regex.Matcher m = line.matcher(l);
            if (!m.matches()) {
                return;
            }
            Map<String, String> labels = new TreeMap<>();
            java.util.regex.Matcher lm = label.matcher(m.group(2));
            while (lm.find()) {
                if (!lm.group(2).isEmpty()) {
                    labels.put(lm.group(1), lm.group(1).equals("le") ? le(lm.group(2)) : lm.group(2));
                }
            }
            if (java.util.Arrays.stream(ports).anyMatch(p -> Integer.toString(p).equals(labels.get("dport")))) {
                series.put(key(m.group(1), labels), value(m.group(1), Double.parseDouble(m.group(3))));
            }
        });
        return series;
    }

    /** "1.0E-4" -> "0.0001", "1.0" -> "1": le as VictoriaMetrics writes it. */
    private static String le(String text) {
        return text.equals("+Inf") ? text : new java.math.BigDecimal(text).stripTrailingZeros().toPlainString();
    }

    /** name{label=value,...}; a _sum to the nanosecond (the receiver keeps ~15 digits of a float). */
    private static String key(String name, Map<String, String> labels) {
        return name + labels.toString().replace(" ", "");
    }

    private static double value(String name, double v) {
        return name.endsWith("_sum") ? Math.round(v * 1e9) / 1e9 : v;
    }

    private static long failures(String body) {
        if (body == null) {
            return 0;
        }
        return body.lines().filter(l -> l.startsWith("tcpconnlat_exporter_otlp_push_failures_total "))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(0);
    }
}
