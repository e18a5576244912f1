package dev.tcpconnlat.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Workloads that come and go: cgroups that connect once and are removed a moment later are
 * named right (the kernel copies their names at the first connect), their keys leave the
 * kernel's maps (so a map smaller than the churn never fills), their final counts are served
 * for --series.grace and then disappear; live series never go back. Kubernetes names come
 * from a kubelet log layout made by the test, for both cgroup drivers.
 */
class ChurnKernelTest {
    private static final String ID = "4f1c2b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a";
    private static final String UID = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e";
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void root() {
        Kernel.requireRoot();
    }

    static Path cgroupRoot() {
        return Path.of(Kernel.run("bash", "-c", "awk '$3 == \"cgroup2\" {print $2; exit}' /proc/mounts").trim());
    }

    /**
     * A bash script that makes {@code n} cgroups {@code prefix-I.scope} under {@code parent},
     * connects once from each to {@code port} and removes each right after.
     */
    static String churn(Path parent, String prefix, int n, int port) {
        Path root = cgroupRoot();
        return "home=" + root + "$(awk -F '::' '/^0::/ {print $2}' /proc/self/cgroup); "
                + "for i in $(seq 0 " + (n - 1) + "); do d=" + parent + "/" + prefix + "-$i.scope; mkdir $d && "
                + "echo $$ > $d/cgroup.procs && exec 3<>/dev/tcp/127.0.0.1/" + port + " && exec 3>&- && "
                + "echo $$ > $home/cgroup.procs && rmdir $d || exit 1; done";
    }

    @Test
    void removedCgroupsAreNamedLeaveTheMapsAndTheirSeriesExpireAfterTheGrace() throws Exception {
        int port = ExporterKernelTest.freePort();
        String metrics = "http://127.0.0.1:" + port + "/metrics";
        Path root = cgroupRoot();
        Path twice = root.resolve("tcpconnlat-twice.scope");
        Process exporter = ExporterKernelTest.exporter("127.0.0.1:" + port, "--series.max", "128", "--series.grace", "10s");
        try (Acceptor server = new Acceptor("127.0.0.1")) {
            await(() -> ExporterKernelTest.get(metrics) != null, "the exporter serving " + metrics);
            // 400 cgroups, three times the maps' 128 keys, as fast as bash makes them; every
            // cgroup's series is seen in some scrape (they are served for 10 s after the removal)
            Map<String, Double> seen = new TreeMap<>();
            Process churn = Kernel.bash(churn(root, "tcpconnlat-churn", 400, server.port()));
            awaitMetrics(metrics, s -> {
                seen.putAll(attempts(s, "tcpconnlat-churn"));
                return !churn.isAlive() && seen.size() == 400;
            });
            assertThat(churn.exitValue()).isZero();
            assertThat(seen.values()).as("one attempt under each cgroup's own unit").containsOnly(1.0);
            // one unit whose cgroup is removed and made again: its series must never go back
            Files.createDirectories(twice);
            assertThat(Kernel.waitFor(inCgroup(twice, "exec 3<>/dev/tcp/127.0.0.1/" + server.port()))).isZero();
            Files.delete(twice);
            Files.createDirectories(twice);
            assertThat(Kernel.waitFor(inCgroup(twice, "exec 3<>/dev/tcp/127.0.0.1/" + server.port()))).isZero();

            Map<String, Double> m = awaitMetrics(metrics, s -> attempts(s, "tcpconnlat-twice").size() == 1
                    && s.getOrDefault("tcpconnlat_exporter_series_removed_total{reason=\"cgroup_removed\"}", 0.0) >= 802);
            assertThat(m).containsEntry("tcpconnlat_exporter_series_dropped_total", 0.0)
                    .containsEntry("tcpconnlat_exporter_cgroup_names_lost_total", 0.0)
                    .containsEntry("tcpconnlat_exporter_map_capacity{map=\"hists\"}", 128.0);
            assertThat(m.get("tcpconnlat_exporter_map_entries{map=\"attempts\"}")).isLessThan(128.0);
            assertThat(attempts(m, "tcpconnlat-twice")).containsExactly(
                    Map.entry("tcpconnlat_connect_attempts_total{family=\"ipv4\",unit=\"tcpconnlat-twice.scope\"}", 2.0));

            // after the grace, the removed cgroups' series are gone; the live unit keeps both connects
            m = awaitMetrics(metrics, s -> attempts(s, "tcpconnlat-churn").isEmpty());
            assertThat(m.get("tcpconnlat_exporter_series_expired_total")).isGreaterThanOrEqualTo(800.0);
            assertThat(attempts(m, "tcpconnlat-twice").values()).containsExactly(2.0);
            Files.delete(twice);
            m = awaitMetrics(metrics, s -> attempts(s, "tcpconnlat-twice").isEmpty());
            assertThat(m).containsEntry("tcpconnlat_exporter_series_dropped_total", 0.0);
        } finally {
            exporter.destroy();
            exporter.waitFor();
            Kernel.run("bash", "-c", "rmdir " + twice + " " + root + "/tcpconnlat-churn-*.scope 2>/dev/null; true");
        }
    }

    /** A map nearly full of keys nobody uses any more (here: ports) makes room: idle keys leave after the grace. */
    @Test
    void idleKeysLeaveANearlyFullMap() throws Exception {
        int port = ExporterKernelTest.freePort();
        String metrics = "http://127.0.0.1:" + port + "/metrics";
        Process exporter = ExporterKernelTest.exporter("127.0.0.1:" + port, "--labels", "dport", "--series.max", "64",
                "--series.grace", "2s");
        try {
            await(() -> ExporterKernelTest.get(metrics) != null, "the exporter serving " + metrics);
            String refused = "for p in $(seq %d %d); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; done; true";
            // 60 ports: the map is 94 % full; after the grace they are idle, and taken out
            Kernel.waitFor(Kernel.bash(refused.formatted(41000, 41059)));
            awaitMetrics(metrics, s -> s.getOrDefault(
                    "tcpconnlat_exporter_series_removed_total{reason=\"idle\"}", 0.0) >= 120);
            // 60 more ports: all counted, none dropped
            Kernel.waitFor(Kernel.bash(refused.formatted(42000, 42059)));
            Map<String, Double> m = awaitMetrics(metrics, s -> attempts(s, "dport=\"420").size() == 60);
            assertThat(m).containsEntry("tcpconnlat_exporter_series_dropped_total", 0.0);
        } finally {
            exporter.destroy();
            exporter.waitFor();
        }
    }

    @Test
    void kubernetesNamesFromTheKubeletLogsForBothCgroupDrivers() throws Exception {
        Path logs = Files.createTempDirectory("tcpconnlat-kubelet");
        Path root = cgroupRoot();
        String uid2 = UID.replace('1', '2');
        String id2 = ID.replace('4', '5');
        Path systemd = root.resolve("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
                + UID.replace('-', '_') + ".slice/cri-containerd-" + ID + ".scope");
        Path cgroupfs = root.resolve("kubepods/besteffort/pod" + uid2 + "/" + id2);
        Files.createDirectories(logs.resolve("pods/shop_cart-7d9f8b6c5-x2x4z_" + UID + "/server"));
        Files.createDirectories(logs.resolve("pods/batch_nightly-29044_" + uid2 + "/job"));
        Files.createDirectories(logs.resolve("containers"));
        Files.createSymbolicLink(logs.resolve("containers/cart-7d9f8b6c5-x2x4z_shop_server-" + ID + ".log"),
                logs.resolve("pods/shop_cart-7d9f8b6c5-x2x4z_" + UID + "/server/0.log"));
        Files.createSymbolicLink(logs.resolve("containers/nightly-29044_batch_job-" + id2 + ".log"),
                logs.resolve("pods/batch_nightly-29044_" + uid2 + "/job/0.log"));
        int port = ExporterKernelTest.freePort();
        String metrics = "http://127.0.0.1:" + port + "/metrics";
        Process exporter = ExporterKernelTest.exporter("127.0.0.1:" + port, "--labels", "namespace,pod,container,pod_uid",
                "--kubelet.log-dir", logs.toString());
        try (Listener server = new Listener("127.0.0.1")) {
            await(() -> ExporterKernelTest.get(metrics) != null, "the exporter serving " + metrics);
            for (Path c : List.of(systemd, cgroupfs)) {
                Files.createDirectories(c);
                assertThat(Kernel.waitFor(inCgroup(c, "exec 3<>/dev/tcp/127.0.0.1/" + server.port()))).isZero();
                Kernel.run("rmdir", c.toString()); // gone before any scrape, and so are its logs
            }
            Kernel.run("rm", "-rf", logs.toString());
            Map<String, Double> m = awaitMetrics(metrics, s -> attempts(s, "-5f6a-").size() == 2);
            assertThat(attempts(m, "-5f6a-")).containsOnlyKeys(
                    "tcpconnlat_connect_attempts_total{container=\"server\",family=\"ipv4\",namespace=\"shop\","
                            + "pod=\"cart-7d9f8b6c5-x2x4z\",pod_uid=\"" + UID + "\"}",
                    "tcpconnlat_connect_attempts_total{container=\"job\",family=\"ipv4\",namespace=\"batch\","
                            + "pod=\"nightly-29044\",pod_uid=\"" + uid2 + "\"}");
        } finally {
            exporter.destroy();
            exporter.waitFor();
            Kernel.run("bash", "-c", "rmdir " + systemd + " " + systemd.getParent() + " " + systemd.getParent().getParent()
                    + " " + root.resolve("kubepods.slice") + " " + cgroupfs + " " + cgroupfs.getParent() + " "
                    + cgroupfs.getParent().getParent() + " " + root.resolve("kubepods") + " 2>/dev/null; rm -rf " + logs + "; true");
        }
    }

    /** Both tools' JSON lines name a cgroup that was removed a moment after its connect. */
    @Test
    void jsonNamesOutliveTheCgroup() throws Exception {
        Path root = cgroupRoot();
        Path pod = root.resolve("kubepods.slice/kubepods-pod" + UID.replace('-', '_') + ".slice");
        Path container = pod.resolve("cri-containerd-" + ID + ".scope");
        try (Listener server = new Listener("127.0.0.1")) {
            for (String tool : List.of("tcpconnlat", "tcpconnect")) {
                try (Tool t = Tool.start(tool, "--json")) {
                    Files.createDirectories(container);
                    assertThat(Kernel.waitFor(inCgroup(container, "exec 3<>/dev/tcp/127.0.0.1/" + server.port()
                            + "; echo $$ > " + root + "/cgroup.procs; rmdir " + container))).isZero();
                    JsonNode line = json.readTree(t.await(l -> l.contains("\"dport\":" + server.port()),
                            Duration.ofSeconds(10)));
                    assertThat(line.get("unit").asText()).as(tool).isEqualTo("cri-containerd-" + ID + ".scope");
                    assertThat(line.get("container_id").asText()).as(tool).isEqualTo(ID);
                    assertThat(line.get("pod_uid").asText()).as(tool).isEqualTo(UID);
                    assertThat(Files.exists(container)).isFalse();
                }
            }
        } finally {
            Kernel.run("bash", "-c", "rmdir " + container + " " + pod + " " + pod.getParent() + " 2>/dev/null; true");
        }
    }

    /** With kernel.bpf_stats_enabled=1, each program's runs and time, as ebpf_exporter has them. */
    @Test
    void programRunsAndTimeWhenTheKernelCountsThem() throws Exception {
        String before = Files.readString(Path.of("/proc/sys/kernel/bpf_stats_enabled")).trim();
        int port = ExporterKernelTest.freePort();
        String metrics = "http://127.0.0.1:" + port + "/metrics";
        Process exporter = ExporterKernelTest.exporter("127.0.0.1:" + port);
        try (Listener server = new Listener("127.0.0.1")) {
            Kernel.run("sysctl", "-q", "kernel.bpf_stats_enabled=1");
            await(() -> ExporterKernelTest.get(metrics) != null, "the exporter serving " + metrics);
            Kernel.waitFor(Kernel.connect("127.0.0.1", server.port()));
            Map<String, Double> m = awaitMetrics(metrics, s -> s.getOrDefault(
                    "tcpconnlat_exporter_bpf_program_runs_total{program=\"handle_set_state\"}", 0.0) > 0);
            assertThat(m.get("tcpconnlat_exporter_bpf_program_run_seconds_total{program=\"handle_set_state\"}")).isPositive();
            assertThat(m).containsKey("tcpconnlat_exporter_bpf_program_runs_total{program=\"handle_cgroup_rmdir\"}");
        } finally {
            Kernel.run("sysctl", "-q", "kernel.bpf_stats_enabled=" + before);
            exporter.destroy();
            exporter.waitFor();
        }
    }

    private static Process inCgroup(Path cgroup, String script) {
        return Kernel.bash("echo $$ > " + cgroup.resolve("cgroup.procs") + " && " + script);
    }

    /** The attempts series whose labels contain {@code text}. */
    private static Map<String, Double> attempts(Map<String, Double> metrics, String text) {
        Map<String, Double> found = new TreeMap<>();
        metrics.forEach((k, v) -> {
            if (k.startsWith("tcpconnlat_connect_attempts_total{") && k.contains(text)) {
                found.put(k, v);
            }
        });
        return found;
    }

    /** Scrapes until {@code done} holds (30 s at most); every sample by its name and labels. */
    private static Map<String, Double> awaitMetrics(String url, java.util.function.Predicate<Map<String, Double>> done) {
        Map<String, Double>[] last = new Map[1];
        await(() -> {
            String body = ExporterKernelTest.get(url);
            if (body == null) {
                return false;
            }
            Map<String, Double> m = new TreeMap<>();
            for (String line : body.split("\n")) {
                int space = line.lastIndexOf(' ');
                if (!line.startsWith("#") && space > 0) {
                    m.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
                }
            }
            last[0] = m;
            return done.test(m);
        }, () -> "metrics at " + url + " (last: " + (last[0] == null ? null : last[0].entrySet().stream()
                .filter(e -> e.getKey().startsWith("tcpconnlat_exporter") || e.getKey().contains("attempts")).limit(40)
                .toList()) + ")");
        return last[0];
    }

    private static void await(BooleanSupplier ok, String what) {
        await(ok, () -> what);
    }

    private static void await(BooleanSupplier ok, java.util.function.Supplier<String> what) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (ok.getAsBoolean()) {
                return;
            }
            TcpConnLatKernelTest.sleep(250);
        }
        throw new AssertionError("waited 30 s for " + what.get());
    }

}
