package dev.tcpconnlat.it;

import static dev.tcpconnlat.it.TcpConnLatKernelTest.cols;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.xbill.DNS.Type;

/**
 * The kernel matrix: every mode and every label of every tool, each loaded on this kernel and
 * checked for right counts, against one workload. scripts/kernels runs this class on Debian's
 * 5.10, 6.1 and 6.12 kernels in VMs and on the host, and prints a table of kernel x test; it
 * runs in the normal suite too. Every tool starts at once (the VMs emulate their CPU: a JVM
 * takes ~10 s to start there), the workload runs once, every tool stops; then each test (a row
 * of the table) checks its tool's output.
 *
 * <p>The workload: connects from processes named {@value #COMM} (a link to bash) in a cgroup
 * named like a systemd unit: two to an IPv4 listener, one to an IPv6 one, one refused, one whose
 * first SYN is dropped (one retransmit), one to an address looked up in DNS (dnsmasq) just
 * before, one from its own mount namespace; and one from a cgroup named like a Kubernetes
 * container (kubelet log layout faked), removed afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KernelMatrixTest {
    static final String COMM = "tcpcl-matrix";
    static final String PEER = "matrix.tcpconnlat.test";
    /** The peer's address, alone in the --cidrs prefix 127.0.0.8/29. */
    static final String PEER_ADDRESS = "127.0.0.9";
    static final String DNS_SERVER = "127.0.0.77";
    static final String ID = "6a1c2b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8b";
    static final String UID = "2b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5f";
    /** Generous: in a VM whose CPU is emulated, a tool takes ~10 s to start, longer when 18 start at once. */
    static final Duration ATTACH = Duration.ofSeconds(300);
    static final Duration WAIT = Duration.ofSeconds(60);

    private final ObjectMapper json = new ObjectMapper();
    private final String tag = "tcpconnlat-matrix-" + ProcessHandle.current().pid();
    /** A thread for each tool's start: the common pool has one thread on 2 CPUs, and they must start at once. */
    private final java.util.concurrent.ExecutorService starting = java.util.concurrent.Executors.newCachedThreadPool();
    private final Map<String, CompletableFuture<Tool>> tools = new LinkedHashMap<>();
    private final Map<String, CompletableFuture<String>> exporters = new LinkedHashMap<>();
    private final List<Process> exporterProcesses = new ArrayList<>();
    private final Map<String, List<String>> output = new LinkedHashMap<>();
    private final Map<String, String> exit = new LinkedHashMap<>();
    private Path work;
    private Path cgroupRoot;
    private Path unit;
    private Path podSlices;
    private Process dnsmasq;
    private String cgroupMap;
    private String mntnsMap;
    private Listener l4;
    private Listener l6;
    private Listener dropped;
    private Listener peer;
    private int refusedPort;
    /** iptables-legacy -S of 100 rules while the tools ran: its exit status, then its output. */
    private String largeGetsockopt = "";
    /** A getsockopt asking only for the length (no buffer) while the tools ran: what it printed. */
    private String lengthOnlyGetsockopt = "";
    /** What each connect's process was: the key names a connect of the workload. */
    private final Map<String, Long> pids = new LinkedHashMap<>();

    @BeforeAll
    void workload() throws Exception {
        Kernel.requireRoot();
        work = Files.createTempDirectory("tcpconnlat-matrix");
        cgroupRoot = dev.tcpconnlat.trace.CgroupV2.root();
        unit = cgroupRoot.resolve(tag + ".service");
        podSlices = cgroupRoot.resolve("kubepods.slice");
        Path container = podSlices.resolve("kubepods-besteffort.slice/kubepods-besteffort-pod"
                + UID.replace('-', '_') + ".slice/cri-containerd-" + ID + ".scope");
        Files.createDirectories(unit);
        Files.createDirectories(container);
        Files.createDirectories(work.resolve("logs/pods/matrix-ns_matrix-pod_" + UID + "/web"));
        Files.createDirectories(work.resolve("logs/containers"));
        Files.writeString(work.resolve("logs/containers/matrix-pod_matrix-ns_web-" + ID + ".log"), "");
        Files.createDirectories(work.resolve("bin"));
        Files.createSymbolicLink(work.resolve("bin/" + COMM), Path.of("/bin/bash"));
        dnsmasq = new ProcessBuilder("dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=53",
                "--listen-address=" + DNS_SERVER, "--bind-interfaces", "--no-resolv", "--no-hosts",
                "--log-facility=-", "--host-record=" + PEER + "," + PEER_ADDRESS)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        cgroupMap = Pinned.path("matrix_cgroups");
        mntnsMap = Pinned.path("matrix_mntns");
        for (String map : List.of(cgroupMap, mntnsMap)) {
            Files.deleteIfExists(Path.of(map));
            Kernel.run("bpftool", "map", "create", map, "type", "hash", "key", "8", "value", "8",
                    "entries", "8", "name", "matrix");
        }
        Pinned.put(cgroupMap, inode(unit)); // a cgroup v2 id is its directory's inode
        l4 = new Listener("127.0.0.1");
        l6 = new Listener("::1");
        dropped = new Listener("127.0.0.1");
        peer = new Listener(PEER_ADDRESS);
        refusedPort = Listener.closedPort("127.0.0.1");

        start("text", "tcpconnlat", "-e", "-r", "-L");
        start("json", "tcpconnlat", "--json", "-e");
        start("dns", "tcpconnlat", "-d");
        start("hist", "tcpconnlat", "-H");
        for (String by : List.of("unit", "comm", "daddr", "dport", "peer", "retransmits")) {
            start("hist-" + by, "tcpconnlat", "-H", "--by", by);
        }
        start("connect", "tcpconnect");
        start("connect-count", "tcpconnect", "-c");
        start("connect-cgroupmap", "tcpconnect", "--cgroupmap", cgroupMap);
        start("connect-mntnsmap", "tcpconnect", "--mntnsmap", mntnsMap);
        exporter("default");
        exporter("names", "--labels", "unit,cgroup,container_id,pod_uid,namespace,pod,container,comm,dport,peer",
                "--kubelet.log-dir", work.resolve("logs").toString());
        exporter("cidrs", "--labels", "daddr", "--cidrs", "127.0.0.8/29=matrixnet");
        long t0 = System.nanoTime();
        for (CompletableFuture<?> f : tools.values()) {
            f.exceptionally(e -> null).join();
        }
        for (CompletableFuture<?> f : exporters.values()) {
            f.exceptionally(e -> null).join();
        }
        progress("%d tools attached (or failed) after %d s", tools.size() + exporters.size(),
                (System.nanoTime() - t0) / 1_000_000_000L);

        connect("v4", unit, "127.0.0.1", l4.port());
        connect("v4-again", unit, "127.0.0.1", l4.port());
        connect("v6", unit, "::1", l6.port());
        connect("refused", unit, "127.0.0.1", refusedPort);
        connectWithADroppedSyn();
        DnsKernelTest.lookup(DNS_SERVER, PEER, Type.A);
        connect("peer", unit, PEER_ADDRESS, peer.port());
        connectFromItsOwnMountNamespace();
        connect("pod", container, "127.0.0.1", l4.port());
        largeGetsockopt = getsockoptOfMoreThanAPage();
        lengthOnlyGetsockopt = getsockoptOfTheLengthOnly();
        // the container is gone: its cgroups removed, leaf first (the exporter is told by cgroup_rmdir)
        for (Path p = container; !p.equals(cgroupRoot); p = p.getParent()) {
            Files.delete(p);
        }
        progress("workload done");
        TcpConnLatKernelTest.sleep(500);
        for (CompletableFuture<Tool> f : tools.values()) {
            Tool t = f.exceptionally(x -> null).join();
            if (t != null) {
                t.signal("INT");
            }
        }
        for (var e : tools.entrySet()) {
            Tool t = e.getValue().exceptionally(x -> null).join();
            if (t != null) {
                exit.put(e.getKey(), Integer.toString(t.waitForExit(WAIT)));
                output.put(e.getKey(), t.lines(Duration.ofMillis(300)));
            }
        }
    }

    @AfterAll
    void cleanUp() throws Exception {
        starting.shutdownNow();
        for (Process p : exporterProcesses) {
            p.destroy();
            p.waitFor();
        }
        tools.values().forEach(f -> {
            Tool t = f.exceptionally(x -> null).join();
            if (t != null) {
                t.close();
            }
        });
        if (dnsmasq != null) {
            dnsmasq.destroy();
        }
        for (Listener l : new Listener[] {l4, l6, dropped, peer}) {
            if (l != null) {
                l.close();
            }
        }
        for (String map : new String[] {cgroupMap, mntnsMap}) {
            if (map != null) {
                Files.deleteIfExists(Path.of(map));
            }
        }
        if (unit != null) {
            Kernel.bash("rmdir " + unit + " 2>/dev/null; find " + podSlices + " -depth -type d -exec rmdir {} + 2>/dev/null");
        }
        Kernel.bash("nft delete table inet " + table() + " 2>/dev/null");
        if (work != null) {
            Kernel.run("rm", "-rf", work.toString());
        }
    }

    // ---- tcpconnlat: events -------------------------------------------------------------

    @Test
    void tcpconnlatText() {
        // PID COMM IP SADDR LPORT DADDR DPORT RESULT RETR LAT(ms)
        assertExitedCleanly("text");
        assertThat(rowsOf("text")).hasSize(8);
        String[] v4 = cols(rowOf("text", "v4"));
        assertThat(v4[1]).isEqualTo(COMM);
        assertThat(v4).containsSequence("4", "127.0.0.1");
        assertThat(v4[6]).isEqualTo(Integer.toString(l4.port()));
        assertThat(v4[7]).isEqualTo("OK");
        String[] v6 = cols(rowOf("text", "v6"));
        assertThat(v6[2]).isEqualTo("6");
        assertThat(v6[5]).isEqualTo("::1");
        assertThat(cols(rowOf("text", "refused"))[7]).isEqualTo("REFUSED");
        String[] slow = cols(rowOf("text", "dropped-syn"));
        assertThat(slow[8]).as("RETR").isEqualTo("1");
        assertThat(Double.parseDouble(slow[9])).isBetween(900.0, 10_000.0);
        // -e as root loads the getsockopt(SO_ERROR) hook on every kernel (it is probed, and said when it cannot be)
        assertThat(tools.get("text").join().stderr()).doesNotContain("without CAP_NET_ADMIN");
    }

    /**
     * A getsockopt whose value is longer than a page (iptables' rule table) answers as without
     * the tools: before Linux 6.5 the caller got EFAULT ("Bad address") unless the cgroup/getsockopt
     * hook (loaded by -e and the exporters) set optlen to 0 for it.
     */
    @Test
    void aGetsockoptOfMoreThanAPageStillAnswers() {
        assertThat(largeGetsockopt).as("exit status and output of iptables-legacy -S").startsWith("0 ");
        assertThat(largeGetsockopt.lines().filter(l -> l.startsWith("-A INPUT -s 10.9."))).hasSize(100);
    }

    /** The same for a getsockopt that asks for the length only, with no buffer (netlink). */
    @Test
    void aGetsockoptOfTheLengthOnlyStillAnswers() {
        assertThat(lengthOnlyGetsockopt).matches("0 length [1-9][0-9]*");
    }

    @Test
    void tcpconnlatJson() throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : lines("json")) {
            JsonNode o = json.readTree(line);
            if (o.get("comm").asText().equals(COMM)) {
                rows.add(o);
            }
        }
        assertThat(rows).hasSize(8);
        JsonNode v4 = jsonOf(rows, "v4");
        assertThat(v4.get("family").asInt()).isEqualTo(4);
        assertThat(v4.get("dport").asInt()).isEqualTo(l4.port());
        assertThat(v4.get("result").asText()).isEqualTo("OK");
        assertThat(v4.get("unit").asText()).isEqualTo(tag + ".service");
        assertThat(jsonOf(rows, "v6").get("daddr").asText()).isEqualTo("::1");
        assertThat(jsonOf(rows, "refused").get("errno").asInt()).isEqualTo(111);
        assertThat(jsonOf(rows, "dropped-syn").get("syn_retransmits").asInt()).isEqualTo(1);
        JsonNode pod = jsonOf(rows, "pod");
        assertThat(pod.get("container_id").asText()).isEqualTo(ID);
        assertThat(pod.get("pod_uid").asText()).isEqualTo(UID);
    }

    @Test
    void tcpconnlatDns() {
        assertThat(rowOf("dns", "peer")).contains(" " + PEER); // then the gap since the answer, when it was long
        assertThat(rowOf("dns", "v4")).endsWith(" localhost");
    }

    // ---- tcpconnlat -H --by each ------------------------------------------------------------

    @Test
    void histogram() {
        // the whole host's connects: at least the workload's
        assertThat(histogramCount("hist", null)).isGreaterThanOrEqualTo(8);
    }

    @Test
    void histogramByUnit() {
        assertThat(histogramCount("hist-unit", "unit = " + tag + ".service")).isEqualTo(7);
    }

    @Test
    void histogramByComm() {
        assertThat(histogramCount("hist-comm", "comm = " + COMM)).isEqualTo(8);
    }

    @Test
    void histogramByDaddr() {
        assertThat(histogramCount("hist-daddr", "daddr = " + PEER_ADDRESS)).isEqualTo(1);
    }

    @Test
    void histogramByDport() {
        assertThat(histogramCount("hist-dport", "dport = " + l4.port())).isEqualTo(4);
        assertThat(histogramCount("hist-dport", "dport = " + refusedPort)).isEqualTo(1);
    }

    @Test
    void histogramByPeer() {
        assertThat(histogramCount("hist-peer", "peer = " + PEER)).isEqualTo(1);
    }

    @Test
    void histogramByRetransmits() {
        assertThat(histogramCount("hist-retransmits", "retransmits = 1")).isGreaterThanOrEqualTo(1);
    }

    // ---- tcpconnect -------------------------------------------------------------------------

    @Test
    void tcpconnect() {
        // PID COMM IP SADDR DADDR DPORT
        assertThat(rowsOf("connect")).hasSize(8);
        assertThat(cols(rowOf("connect", "v6"))).containsSequence("6", "::1", "::1", Integer.toString(l6.port()));
        assertThat(cols(rowOf("connect", "refused"))[5]).isEqualTo(Integer.toString(refusedPort));
    }

    @Test
    void tcpconnectCount() {
        assertExitedCleanly("connect-count");
        // LADDR RADDR RPORT CONNECTS
        assertThat(lines("connect-count")).anySatisfy(l -> assertThat(cols(l))
                .containsExactly("127.0.0.1", "127.0.0.1", Integer.toString(l4.port()), "4"));
        assertThat(lines("connect-count")).anySatisfy(l -> assertThat(cols(l))
                .containsExactly("::1", "::1", Integer.toString(l6.port()), "1"));
    }

    @Test
    void tcpconnectCgroupMap() {
        assertThat(lines("connect-cgroupmap").stream().filter(l -> !l.startsWith("PID")).toList())
                .as("only the unit's connects").hasSize(7).allMatch(l -> l.contains(COMM));
    }

    @Test
    void tcpconnectMountNamespaceMap() {
        assertThat(lines("connect-mntnsmap").stream().filter(l -> !l.startsWith("PID")).toList())
                .singleElement().satisfies(l -> assertThat(l).startsWith(pids.get("mntns") + " "));
    }

    // ---- the exporter -----------------------------------------------------------------------

    @Test
    void exporterDefaultLabels() {
        String u = "unit=\"" + tag + ".service\"";
        awaitScrape("default", s -> sum(s, "tcpconnlat_connect_attempts_total", u, "family=\"ipv4\"") == 6
                && sum(s, "tcpconnlat_connect_attempts_total", u, "family=\"ipv6\"") == 1
                && sum(s, "tcpconnlat_connect_duration_seconds_count", u, "result=\"ok\"") == 6
                && sum(s, "tcpconnlat_connect_duration_seconds_count", u, "result=\"refused\"") == 1
                && sum(s, "tcpconnlat_connect_syn_retransmits_total", u) == 1);
    }

    @Test
    void exporterNames() {
        awaitScrape("names", s -> sum(s, "tcpconnlat_connect_attempts_total", "container=\"web\"", "container_id=\"" + ID + "\"",
                        "namespace=\"matrix-ns\"", "pod=\"matrix-pod\"", "pod_uid=\"" + UID + "\"", "peer=\"localhost\"",
                        "comm=\"" + COMM + "\"", "dport=\"" + l4.port() + "\"") == 1
                && sum(s, "tcpconnlat_connect_duration_seconds_count", "cgroup=\"/" + tag + ".service\"",
                        "unit=\"" + tag + ".service\"", "peer=\"" + PEER + "\"", "result=\"ok\"") == 1
                && sum(s, "tcpconnlat_exporter_series_removed_total", "reason=\"cgroup_removed\"") >= 1);
    }

    @Test
    void exporterDestinationGroups() {
        awaitScrape("cidrs", s -> sum(s, "tcpconnlat_connect_attempts_total", "daddr=\"matrixnet\"") == 1
                && sum(s, "tcpconnlat_connect_duration_seconds_count", "daddr=\"matrixnet\"", "result=\"ok\"") == 1);
    }

    // ---- the workload -----------------------------------------------------------------------

    /** A line on stdout as the workload goes (in a VM the tests take minutes). */
    private static void progress(String format, Object... args) {
        System.out.printf("kernel matrix: " + format + "%n", args);
    }

    private void start(String name, String tool, String... args) {
        tools.put(name, CompletableFuture.supplyAsync(() -> Tool.start(ATTACH, tool, args), starting));
    }

    private void exporter(String name, String... args) throws IOException {
        int port = ExporterKernelTest.freePort();
        Process p = ExporterKernelTest.exporter("127.0.0.1:" + port, args);
        exporterProcesses.add(p);
        String url = "http://127.0.0.1:" + port + "/metrics";
        exporters.put(name, CompletableFuture.supplyAsync(() -> {
            long deadline = System.nanoTime() + ATTACH.toNanos();
            while (System.nanoTime() < deadline && p.isAlive()) {
                if (ExporterKernelTest.get(url) != null) {
                    return url;
                }
                TcpConnLatKernelTest.sleep(500);
            }
            throw new AssertionError("the exporter " + String.join(" ", args) + " did not serve "
                    + url + (p.isAlive() ? " in " + ATTACH : ": it exited " + p.exitValue()));
        }, starting));
    }

    /** A connect from a process named COMM in {@code cgroup}, to completion. */
    private void connect(String name, Path cgroup, String host, int port) {
        Process p = Kernel.bash("echo $$ > " + cgroup.resolve("cgroup.procs") + " && exec "
                + work.resolve("bin/" + COMM) + " -c 'exec 3<>/dev/tcp/" + host + "/" + port + "'");
        pids.put(name, p.pid());
        Kernel.waitFor(p);
    }

    private String table() {
        return tag.replace('-', '_');
    }

    /**
     * Its first SYN is dropped as it arrives, only the first (an nftables quota: a SYN is 60 bytes,
     * the second one takes the count past 100), so the handshake completes after one retransmit:
     * ~1 s. (Deleting the rule once it had dropped one was too late in a VM, whose processes start
     * slowly: 5.10 retransmits at 1 s and then 3 s, and the second was dropped too.)
     */
    private void connectWithADroppedSyn() {
        Kernel.run("nft", "add table inet " + table() + " ; add chain inet " + table()
                + " in { type filter hook input priority 0 ; } ; add rule inet " + table() + " in tcp dport "
                + dropped.port() + " tcp flags & (syn | ack) == syn quota until 100 bytes drop");
        Process p = Kernel.bash("echo $$ > " + unit.resolve("cgroup.procs") + " && exec "
                + work.resolve("bin/" + COMM) + " -c 'exec 3<>/dev/tcp/127.0.0.1/" + dropped.port() + "'");
        pids.put("dropped-syn", p.pid());
        assertThat(Kernel.waitFor(p)).isZero();
        Kernel.run("nft", "delete table inet " + table());
    }

    /**
     * From the unit too, but in a mount namespace of its own, whose inode goes into the
     * --mntnsmap map before it connects (it waits for a file that says so).
     */
    private void connectFromItsOwnMountNamespace() throws IOException {
        String host = Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString();
        Path go = work.resolve("mntns-go");
        Process p = Kernel.bash("echo $$ > " + unit.resolve("cgroup.procs") + " && exec unshare -m "
                + work.resolve("bin/" + COMM) + " -c 'while [ ! -e " + go + " ]; do sleep 0.05; done; "
                + "exec 3<>/dev/tcp/127.0.0.1/" + l4.port() + "'");
        pids.put("mntns", p.pid());
        String ns = host;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (ns.equals(host) && p.isAlive() && System.nanoTime() < deadline) {
            TcpConnLatKernelTest.sleep(20);
            try {
                ns = Files.readSymbolicLink(Path.of("/proc/" + p.pid() + "/ns/mnt")).toString();
            } catch (IOException exited) {
                break;
            }
        }
        assertThat(ns).as("a mount namespace of its own").isNotEqualTo(host);
        Pinned.put(mntnsMap, Long.parseLong(ns.replaceAll("\\D", "")));
        Files.writeString(go, "");
        assertThat(Kernel.waitFor(p)).isZero();
    }

    /**
     * iptables-legacy reads a table back with one getsockopt of the table's size: 100 rules are
     * ~20 KB, more than the page a cgroup/getsockopt program sees (in a network namespace of its
     * own, so the host's tables are left alone).
     */
    private String getsockoptOfMoreThanAPage() throws IOException {
        String ns = "tcpconnlat_matrix_ipt_" + ProcessHandle.current().pid();
        Kernel.run("ip", "netns", "add", ns);
        try {
            StringBuilder rules = new StringBuilder("*filter\n");
            for (int i = 0; i < 100; i++) {
                rules.append("-A INPUT -s 10.9.").append(i).append(".1/32 -p tcp --dport ").append(1000 + i)
                        .append(" -j ACCEPT\n");
            }
            rules.append("COMMIT\n");
            Path file = work.resolve("rules");
            Files.writeString(file, rules);
            Kernel.run("bash", "-c", "ip netns exec " + ns + " iptables-legacy-restore < " + file);
            Process list = new ProcessBuilder("ip", "netns", "exec", ns, "iptables-legacy", "-S", "INPUT")
                    .redirectErrorStream(true).start();
            String out = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return Kernel.waitFor(list) + " " + out;
        } finally {
            Kernel.run("ip", "netns", "delete", ns);
        }
    }

    /**
     * netlink's NETLINK_LIST_MEMBERSHIPS with no buffer, to learn the length (a C program: no
     * tool here asks so): before Linux 6.7 a cgroup/getsockopt program had to set optlen to 0
     * for it, or the caller got EFAULT.
     */
    private String getsockoptOfTheLengthOnly() throws IOException {
        Path source = work.resolve("length.c");
        Files.writeString(source, """
                #include <errno.h>
                #include <stdio.h>
                #include <string.h>
                #include <sys/socket.h>
                #include <linux/netlink.h>
                int main(void) {
                    int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
                    unsigned int group = 1;
                    socklen_t len = 0;
                    if (fd < 0 || setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group))
                        return printf("set-up: %s\\n", strerror(errno)), 2;
                    if (getsockopt(fd, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, NULL, &len))
                        return printf("getsockopt: %s\\n", strerror(errno)), 1;
                    return printf("length %u\\n", len), 0;
                }
                """);
        Kernel.run("gcc", "-o", work.resolve("length").toString(), source.toString());
        Process p = new ProcessBuilder(work.resolve("length").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return Kernel.waitFor(p) + " " + out.strip();
    }

    private static long inode(Path p) throws IOException {
        return ((Number) Files.getAttribute(p, "unix:ino")).longValue();
    }

    // ---- reading what the tools said --------------------------------------------------------

    private List<String> lines(String tool) {
        tools.get(tool).join(); // rethrows why it did not start
        return output.getOrDefault(tool, List.of());
    }

    /** That the tool exited 0 on SIGINT. */
    private void assertExitedCleanly(String tool) {
        lines(tool);
        assertThat(exit.get(tool)).as("exit status; stderr: " + tools.get(tool).join().stderr()).isEqualTo("0");
    }

    /** The rows of the workload's processes (their COMM). */
    private List<String> rowsOf(String tool) {
        return lines(tool).stream().filter(l -> cols(l).length > 1 && cols(l)[1].equals(COMM)).toList();
    }

    private String rowOf(String tool, String connect) {
        long pid = pids.get(connect);
        return lines(tool).stream().filter(l -> l.startsWith(pid + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no row of " + connect + " (pid " + pid + ") in " + lines(tool)));
    }

    private JsonNode jsonOf(List<JsonNode> rows, String connect) {
        long pid = pids.get(connect);
        return rows.stream().filter(o -> o.get("pid").asLong() == pid).findFirst()
                .orElseThrow(() -> new AssertionError("no object of " + connect + " in " + rows));
    }

    /** The count of the histogram under {@code section} ("dport = 80"), or of the only one when null. */
    private long histogramCount(String tool, String section) {
        List<String> lines = lines(tool);
        Long n = HistogramKernelTest.counts(lines).get(section == null ? "" : section);
        assertThat(n).as(section + " in " + lines).isNotNull();
        return n;
    }

    /** Waits (up to WAIT) until a scrape of the exporter satisfies {@code ok}. */
    private void awaitScrape(String name, Predicate<String> ok) {
        String url = exporters.get(name).join();
        String last = null;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            last = ExporterKernelTest.get(url);
            if (last != null && ok.test(last)) {
                return;
            }
            TcpConnLatKernelTest.sleep(500);
        }
        throw new AssertionError("the exporter " + name + "'s series never matched; last scrape:\n"
                + (last == null ? "none" : last.lines().filter(l -> !l.startsWith("#") && !l.contains("_bucket"))
                        .collect(java.util.stream.Collectors.joining("\n"))));
    }

    /** The sum of the samples of {@code metric} whose labels include every one of {@code labels}. */
    static double sum(String scrape, String metric, String... labels) {
        return scrape.lines().filter(l -> l.startsWith(metric + "{") || l.startsWith(metric + " "))
                .filter(l -> List.of(labels).stream().allMatch(x -> l.contains("{" + x + ",") || l.contains("," + x + ",")
                        || l.contains("," + x + "}") || l.contains("{" + x + "}")))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
