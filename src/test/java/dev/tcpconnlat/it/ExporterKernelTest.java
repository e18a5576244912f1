package dev.tcpconnlat.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The exporter as shipped, scraped by a real Prometheus server (Debian's prometheus, native
 * histograms on) on loopback, and checked through Prometheus' HTTP API: labels from real
 * cgroups named like systemd units and kubelet/containerd containers, quantiles of connects of
 * known latency, a hostile comm, promtool's lint.
 */
class ExporterKernelTest {
    private static final String ID = "4f1c2b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a";
    private static final String UID = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e";
    private static final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void root() {
        Kernel.requireRoot();
    }

    @Test
    void prometheusScrapesLabelledSeriesAndQuantilesMatchKnownLatencies() throws Exception {
        Path dir = Files.createTempDirectory("tcpconnlat-prometheus");
        Path cgroups = Path.of(Kernel.run("bash", "-c", "awk '$3 == \"cgroup2\" {print $2; exit}' /proc/mounts").trim());
        Path unit = cgroups.resolve("tcpconnlat-test-x.service");
        Path pod = cgroups.resolve("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
                + UID.replace('-', '_') + ".slice");
        Path container = pod.resolve("cri-containerd-" + ID + ".scope");
        String nft = "tcpconnlat_exporter_" + ProcessHandle.current().pid();
        int port = freePort();
        int promPort = freePort();
        Process exporter = null;
        Process prometheus = null;
        try (Listener fast = new Listener("127.0.0.1"); Listener slow = new Listener("127.0.0.1");
                Listener fromPod = new Listener("127.0.0.1")) {
            Files.createDirectories(unit);
            Files.createDirectories(container);
            exporter = new ProcessBuilder(Tool.command("tcpconnlat-exporter", "--web.listen-address",
                    "127.0.0.1:" + port, "--labels", "unit,cgroup,container_id,pod_uid,comm,dport"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("exporter.log").toFile()).start();
            String metricsUrl = "http://127.0.0.1:" + port + "/metrics";
            await(() -> get(metricsUrl) != null, "the exporter serving " + metricsUrl + ": " + log(dir, "exporter.log"));

            Files.writeString(dir.resolve("prometheus.yml"), """
                    global:
                      scrape_interval: 1s
                    scrape_configs:
                      - job_name: tcpconnlat
                        static_configs:
                          - targets: ['127.0.0.1:%d']
                    """.formatted(port));
            prometheus = new ProcessBuilder("prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                    "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + promPort,
                    "--enable-feature=native-histograms")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();

            // 5 fast connects from a process in x.service, 1 from the "pod", one ~3 s slow (its first
            // SYNs dropped for 2.5 s), one refused, one from a comm with quotes, a backslash and UTF-8
            for (int i = 0; i < 5; i++) {
                Kernel.waitFor(inCgroup(unit, "exec 3<>/dev/tcp/127.0.0.1/" + fast.port()));
            }
            Kernel.waitFor(inCgroup(container, "exec 3<>/dev/tcp/127.0.0.1/" + fromPod.port()));
            Kernel.run("nft", "add table inet " + nft);
            Kernel.run("nft", "add chain inet " + nft + " out { type filter hook output priority 0 ; }");
            Kernel.run("nft", "add rule inet " + nft + " out tcp dport " + slow.port() + " tcp flags & (syn | ack) == syn drop");
            Process slowConnect = Kernel.connect("127.0.0.1", slow.port());
            int refused = Listener.closedPort("127.0.0.1");
            Kernel.waitFor(Kernel.connect("127.0.0.1", refused));
            Kernel.waitFor(Kernel.script("d=$(mktemp -d) && ln -s /bin/bash \"$d/$(printf 'q\"\\\\\\303\\251')\" && \"$d/$(printf 'q\"\\\\\\303\\251')\" -c "
                    + "'exec 3<>/dev/tcp/127.0.0.1/" + fast.port() + "'; rm -rf $d"));
            TcpConnLatKernelTest.sleep(2500);
            Kernel.run("nft", "delete table inet " + nft);
            assertThat(Kernel.waitFor(slowConnect)).isZero();

            String text = get(metricsUrl);
            Process lint = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
            lint.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            lint.getOutputStream().close();
            String lintOut = new String(lint.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(lint.waitFor()).as("promtool check metrics: " + lintOut).isZero();
            assertThat(lintOut).isEmpty();
            // classic buckets, cumulative: the ~3 s connect is above le=2.5 and below le=5
            assertThat(text).contains("dport=\"" + slow.port() + "\",family=\"ipv4\",pod_uid=\"\",result=\"ok\",unit=\"\",le=\"2.5\"} 0")
                    .contains("dport=\"" + slow.port() + "\",family=\"ipv4\",pod_uid=\"\",result=\"ok\",unit=\"\",le=\"5.0\"} 1");

            String api = "http://127.0.0.1:" + promPort + "/api/v1/query?query=";
            JsonNode byUnit = awaitQuery(api, "tcpconnlat_connect_attempts_total{unit=\"tcpconnlat-test-x.service\"}",
                    r -> r.size() == 1 && r.get(0).get("value").get(1).asDouble() == 5, dir);
            assertThat(byUnit.get(0).get("metric").get("cgroup").asText()).isEqualTo("/tcpconnlat-test-x.service");
            assertThat(byUnit.get(0).get("metric").get("comm").asText()).isEqualTo("bash");
            assertThat(byUnit.get(0).get("metric").get("dport").asText()).isEqualTo(Integer.toString(fast.port()));

            JsonNode inPod = awaitQuery(api, "tcpconnlat_connect_attempts_total{pod_uid=\"" + UID + "\"}",
                    r -> r.size() == 1, dir);
            assertThat(inPod.get(0).get("metric").get("container_id").asText()).isEqualTo(ID);
            assertThat(inPod.get(0).get("metric").get("unit").asText()).isEqualTo("cri-containerd-" + ID + ".scope");

            awaitQuery(api, "tcpconnlat_connect_attempts_total{dport=\"" + refused + "\"}", r -> r.size() == 1, dir);
            JsonNode refusedHist = awaitQuery(api, "histogram_count(tcpconnlat_connect_duration_seconds{dport=\""
                    + refused + "\"})", r -> r.size() == 1, dir);
            assertThat(refusedHist.get(0).get("metric").get("result").asText()).isEqualTo("refused");

            // native histogram quantiles: within the bucket error (2^(1/4) - 1 = 19 %)
            JsonNode slowQ = awaitQuery(api, "histogram_quantile(0.5, tcpconnlat_connect_duration_seconds{dport=\""
                    + slow.port() + "\"})", r -> r.size() == 1, dir);
            assertThat(slowQ.get(0).get("value").get(1).asDouble()).as("~3 s").isBetween(3.0 / 1.19, 3.2 * 1.19);
            JsonNode fastQ = awaitQuery(api, "histogram_quantile(0.99, tcpconnlat_connect_duration_seconds{unit=\""
                    + "tcpconnlat-test-x.service\"})", r -> r.size() == 1, dir);
            assertThat(fastQ.get(0).get("value").get(1).asDouble()).as("loopback").isLessThan(0.01);

            String hostile = "q\"\\\u00e9";
            JsonNode all = awaitQuery(api, "tcpconnlat_connect_attempts_total", r -> {
                for (JsonNode s : r) {
                    if (s.get("metric").get("comm").asText().equals(hostile)) {
                        return true;
                    }
                }
                return false;
            }, dir);
            assertThat(all).isNotEmpty();
        } finally {
            if (prometheus != null) {
                prometheus.destroy();
                prometheus.waitFor(10, TimeUnit.SECONDS);
            }
            if (exporter != null) {
                exporter.destroy();
                assertThat(exporter.waitFor(10, TimeUnit.SECONDS)).isTrue();
                assertThat(exporter.exitValue()).isZero();
            }
            Kernel.bash("nft delete table inet " + nft + " 2>/dev/null");
            Kernel.waitFor(Kernel.bash("rmdir " + container + " " + pod + " " + pod.getParent() + " "
                    + pod.getParent().getParent() + " " + unit + " 2>/dev/null; rm -rf " + dir));
        }
    }

    /** The worst case the kernel map allows: 10,000 series in one scrape (an earlier 16 MiB heap ran out). */
    @Test
    void tenThousandSeriesAreServed() throws Exception {
        int port = freePort();
        Process exporter = exporter("127.0.0.1:" + port, "--labels", "dport");
        try {
            String url = "http://127.0.0.1:" + port + "/metrics";
            await(() -> get(url) != null, "the exporter serving " + url);
            int refused = 0;
            for (int p = 30000; refused < 10_000 && p < 65536; p++) {
                try (java.net.Socket s = new java.net.Socket()) {
                    s.connect(new java.net.InetSocketAddress("127.0.0.1", p), 1000);
                } catch (IOException e) {
                    refused++;
                }
            }
            String text = get(url);
            assertThat(text).as("a scrape of 10,000 series").isNotNull();
            assertThat(text.lines().filter(l -> l.startsWith("tcpconnlat_connect_duration_seconds_count{")).count())
                    .isGreaterThanOrEqualTo(10_000);
        } finally {
            exporter.destroy();
            assertThat(exporter.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * A host name in --web.listen-address resolves (the shaded jar once made dnsjava the JVM's
     * resolver, and every look-up failed); one that does not is one line and exit 2.
     */
    @Test
    void hostNamesInTheListenAddress() throws Exception {
        int port = freePort();
        Process exporter = exporter("localhost:" + port);
        try {
            await(() -> get("http://127.0.0.1:" + port + "/metrics") != null, "the exporter on localhost:" + port);
        } finally {
            exporter.destroy();
            assertThat(exporter.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(exporter.exitValue()).isZero();
        }
        Process bad = new ProcessBuilder(Tool.command("tcpconnlat-exporter", "--web.listen-address",
                "no-such-host.invalid:" + port)).redirectErrorStream(true).start();
        String out = new String(bad.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(Kernel.waitFor(bad)).isEqualTo(2);
        assertThat(out).isEqualTo("tcpconnlat-exporter: error: --web.listen-address: cannot resolve host "
                + "'no-such-host.invalid' (see tcpconnlat-exporter --help)\n");
    }

    /**
     * 10,000 series: 40 concurrent scrapes all get the whole answer; then SIGTERM while 10 more
     * are in flight: everything is detached within about a second, each scrape gets the whole
     * answer or a clean 503 (or, sent after the port closed, a refused connection), and the
     * exporter exits 0 once they are written, with nothing logged.
     */
    @Test
    void concurrentScrapesAndSigtermDuringScrapesOfTenThousandSeries() throws Exception {
        int port = freePort();
        Process exporter = new ProcessBuilder(Tool.command("tcpconnlat-exporter", "--web.listen-address",
                "127.0.0.1:" + port, "--labels", "dport")).redirectErrorStream(true).start();
        StringBuffer log = new StringBuffer();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                log.append(new String(exporter.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // ended
            }
        });
        String url = "http://127.0.0.1:" + port + "/metrics";
        await(() -> get(url) != null, "the exporter serving " + url);
        List<Integer> programs = Kernel.bpfIdsOf(exporter.pid(), "prog_id").stream().distinct().toList();
        for (int p = 30000, refused = 0; refused < 10_000 && p < 65536; p++) {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress("127.0.0.1", p), 1000);
            } catch (IOException e) {
                refused++;
            }
        }
        await(() -> series(get(url)) >= 10_000, "10,000 attempts series");
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> scrapes = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            scrapes.add(http.sendAsync(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (var s : scrapes) {
            HttpResponse<String> r = s.get(90, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(series(r.body())).as("series in a concurrent scrape").isGreaterThanOrEqualTo(10_000);
        }

        scrapes.clear();
        for (int i = 0; i < 10; i++) {
            scrapes.add(http.sendAsync(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        TcpConnLatKernelTest.sleep(100);
        long stop = System.nanoTime();
        Kernel.run("kill", "-TERM", Long.toString(exporter.pid()));
        Kernel.assertUnloaded(programs);
        long detachedMs = (System.nanoTime() - stop) / 1_000_000;
        assertThat(exporter.waitFor(10, TimeUnit.SECONDS)).as("exited").isTrue();
        assertThat(exporter.exitValue()).isZero();
        assertThat(detachedMs).as("ms from SIGTERM to every program unloaded").isLessThan(1500);
        for (var s : scrapes) {
            try {
                HttpResponse<String> r = s.get(10, TimeUnit.SECONDS);
                assertThat(r.statusCode()).as("a scrape in flight at the stop").isIn(200, 503);
                if (r.statusCode() == 200) {
                    assertThat(series(r.body())).as("a whole answer").isGreaterThanOrEqualTo(10_000);
                }
            } catch (java.util.concurrent.ExecutionException e) {
                // sent after the port closed: refused, not cut
                assertThat(e.getCause()).isInstanceOf(java.net.ConnectException.class);
            }
        }
        TcpConnLatKernelTest.sleep(100);
        assertThat(log.toString()).doesNotContain("internal error").doesNotContain("Exception");
        Kernel.assertUnloaded(programs);
    }

    /**
     * --cidrs: daddr is the longest matching prefix's name, "other" when none; IPv4 prefixes match
     * v4-mapped destinations too (family ipv6). And tcpconnlat -H --by daddr --cidrs.
     */
    @Test
    void destinationGroups() throws Exception {
        int closed = freePort();
        try (Served exporter = Served.start("--labels", "daddr",
                "--cidrs", "10.0.0.0/8=internal,127.0.0.0/8=loop,127.0.0.0/24=loop24");
                Tool h = Tool.start("tcpconnlat", "-H", "--by", "daddr", "--cidrs", "127.0.0.0/8=loop")) {
            // The wait for the exporter dialled ::ffff:127.0.0.1 (refused) before it served: count from here.
            java.util.Map<String, Long> before = refusedCounts(exporter.scrape());
            for (String host : List.of("127.0.0.1", "127.0.1.1", "::ffff:127.0.0.1", "::1")) {
                Kernel.waitFor(Kernel.bash("exec 3<>/dev/tcp/" + host + "/" + closed + " 2>/dev/null; true"));
            }
            await(() -> exporter.refusedSince(before).containsKey("{daddr=\"other\",family=\"ipv6\",result=\"refused\"}"),
                    "the ::1 connect under other");
            assertThat(exporter.refusedSince(before)).containsExactly(
                    java.util.Map.entry("{daddr=\"loop\",family=\"ipv4\",result=\"refused\"}", 1L),
                    java.util.Map.entry("{daddr=\"loop24\",family=\"ipv4\",result=\"refused\"}", 1L),
                    java.util.Map.entry("{daddr=\"loop24\",family=\"ipv6\",result=\"refused\"}", 1L),
                    java.util.Map.entry("{daddr=\"other\",family=\"ipv6\",result=\"refused\"}", 1L));
            assertThat(refusedCounts(exporter.scrape()).keySet()).allMatch(k -> k.matches("\\{daddr=\"(loop|loop24|other)\",.*"));
            TcpConnLatKernelTest.sleep(300);
            assertThat(h.interrupt()).isZero();
            List<String> sections = h.lines(Duration.ofMillis(500)).stream().filter(l -> l.startsWith("daddr = ")).toList();
            assertThat(sections).contains("daddr = loop", "daddr = other");
            assertThat(sections).noneMatch(l -> l.contains("127.0."));
        }
    }

    /** An exporter as shipped, serving on a free loopback port: its metrics URL. Closing stops it. */
    record Served(Process process, String url) implements AutoCloseable {
        static Served start(String... args) throws IOException {
            int port = freePort();
            String url = "http://127.0.0.1:" + port + "/metrics";
            Served s = new Served(exporter("127.0.0.1:" + port, args), url);
            await(() -> get(url) != null, "the exporter serving " + url);
            return s;
        }

        String scrape() {
            return get(url);
        }

        /** What each refused-connect series grew by since {@code before} (series that did not grow left out). */
        java.util.Map<String, Long> refusedSince(java.util.Map<String, Long> before) {
            java.util.Map<String, Long> added = new java.util.TreeMap<>();
            refusedCounts(scrape()).forEach((k, v) -> {
                long d = v - before.getOrDefault(k, 0L);
                if (d != 0) {
                    added.put(k, d);
                }
            });
            return added;
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            process.waitFor();
        }
    }

    /** The refused connects' counts in a scrape's body, by label set. */
    static java.util.Map<String, Long> refusedCounts(String body) {
        java.util.Map<String, Long> counts = new java.util.TreeMap<>();
        String prefix = "tcpconnlat_connect_duration_seconds_count";
        body.lines().filter(l -> l.startsWith(prefix + "{") && l.contains("refused")).forEach(l -> {
            int space = l.lastIndexOf(' ');
            counts.put(l.substring(prefix.length(), space), (long) Double.parseDouble(l.substring(space + 1)));
        });
        return counts;
    }

    /** Attempts series in a scrape's body (0 for none). */
    private static int series(String body) {
        return body == null ? 0 : (int) body.lines().filter(l -> l.startsWith("tcpconnlat_connect_attempts_total{")).count();
    }

    /**
     * node_exporter's endpoints: the metrics at --web.telemetry-path, a landing page at /, the
     * health check, 404 elsewhere; and clients that send half a request and hold (more than the
     * old 10 workers) do not block a scrape.
     */
    @Test
    void endpointsAndClientsThatHold() throws Exception {
        int port = freePort();
        Process exporter = exporter("127.0.0.1:" + port, "--web.telemetry-path", "/m");
        List<java.net.Socket> holding = new java.util.ArrayList<>();
        try {
            String base = "http://127.0.0.1:" + port;
            await(() -> get(base + "/m") != null, "the exporter serving " + base + "/m");
            assertThat(get(base + "/m")).contains("tcpconnlat_exporter_build_info");
            assertThat(get(base + "/")).contains("<a href=\"/m\">Metrics</a>");
            assertThat(status(base + "/-/healthy")).isEqualTo(200);
            assertThat(status(base + "/doesnotexist")).isEqualTo(404);
            for (int i = 0; i < 12; i++) {
                java.net.Socket s = new java.net.Socket("127.0.0.1", port);
                s.getOutputStream().write("GET /m HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                holding.add(s);
            }
            long t0 = System.nanoTime();
            assertThat(get(base + "/m")).as("a scrape while 12 clients hold half a request").isNotNull();
            assertThat((System.nanoTime() - t0) / 1e9).isLessThan(5.0);
        } finally {
            for (java.net.Socket s : holding) {
                s.close();
            }
            exporter.destroy();
            assertThat(exporter.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    private int status(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** A bash that moves itself into {@code cgroup}, then runs {@code script}. */
    private static Process inCgroup(Path cgroup, String script) {
        return Kernel.bash("echo $$ > " + cgroup.resolve("cgroup.procs") + " && " + script);
    }

    private JsonNode awaitQuery(String api, String query, Predicate<JsonNode> done, Path dir) throws Exception {
        String url = api + URLEncoder.encode(query, StandardCharsets.UTF_8);
        JsonNode[] last = new JsonNode[1];
        await(() -> {
            String body = get(url);
            if (body == null) {
                return false;
            }
            try {
                last[0] = json.readTree(body).get("data").get("result");
            } catch (IOException e) {
                return false;
            }
            return done.test(last[0]);
        }, query + " (last: " + last[0] + "; prometheus: " + log(dir, "prometheus.log") + ")");
        return last[0];
    }

    /** The exporter as shipped, serving on {@code address}, its output discarded. */
    static Process exporter(String address, String... args) throws IOException {
        List<String> argv = new java.util.ArrayList<>(List.of("--web.listen-address", address));
        argv.addAll(List.of(args));
        return new ProcessBuilder(Tool.command("tcpconnlat-exporter", argv.toArray(String[]::new)))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** The body of a 200 answer, or null (no answer, or another status). */
    static String get(String url) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    static void await(java.util.function.BooleanSupplier ok, String what) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (ok.getAsBoolean()) {
                return;
            }
            TcpConnLatKernelTest.sleep(200);
        }
        throw new AssertionError("waited 30 s for " + what);
    }

    private static String log(Path dir, String name) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve(name));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
        } catch (IOException e) {
            return "(no " + name + ")";
        }
    }

    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
