package dev.tcpconnlat.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** tcpconnlat end to end: the real BPF program, real connects from real processes. */
class TcpConnLatKernelTest {
    static final Duration WAIT = Duration.ofSeconds(10);

    @BeforeEach
    void root() {
        Kernel.requireRoot();
    }

    /** Columns of a row with -L: PID COMM IP SADDR LPORT DADDR DPORT [RESULT] LAT(ms). */
    static String[] cols(String line) {
        return line.trim().split("\\s+");
    }

    static boolean fromPid(String line, long pid) {
        return line.startsWith(pid + " ");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "127.0.0.1, 127.0.0.1, 127.0.0.1, 4",
        "::1, ::1, ::1, 6",
        "127.0.0.1, ::ffff:127.0.0.1, ::ffff:127.0.0.1, 6"})
    void loopbackConnectShowsWhoAndWhere(String listenOn, String connectTo, String shown, int ip) {
        try (Listener server = new Listener(listenOn); Tool tool = Tool.start("tcpconnlat", "-L")) {
            assertThat(tool.header()).isEqualTo(
                    "PID     COMM         IP SADDR            LPORT  DADDR            DPORT LAT(ms)");
            Process client = Kernel.connect(connectTo, server.port());
            String line = tool.await(l -> fromPid(l, client.pid()), WAIT);
            assertThat(Kernel.waitFor(client)).isZero();
            String[] c = cols(line);
            assertThat(c[1]).isEqualTo("bash");
            assertThat(c[2]).isEqualTo(Integer.toString(ip));
            assertThat(c[3]).isEqualTo(shown);
            assertThat(Integer.parseInt(c[4])).isBetween(1, 65535);
            assertThat(c[5]).isEqualTo(shown);
            assertThat(c[6]).isEqualTo(Integer.toString(server.port()));
            assertThat(Double.parseDouble(c[7])).isBetween(0.0, 1000.0);
        }
    }

    @Test
    void refusedConnectIsListedAndNamedWithErrors() {
        int port = Listener.closedPort("127.0.0.1");
        try (Tool plain = Tool.start("tcpconnlat"); Tool errors = Tool.start("tcpconnlat", "-e")) {
            Process client = Kernel.connect("127.0.0.1", port);
            assertThat(Kernel.waitFor(client)).isNotZero();
            String line = plain.await(l -> fromPid(l, client.pid()), WAIT);
            assertThat(cols(line)[5]).isEqualTo(Integer.toString(port));
            String withResult = errors.await(l -> fromPid(l, client.pid()), WAIT);
            assertThat(cols(withResult)[6]).isEqualTo("REFUSED");
        }
    }

    @Test
    void pidFilterHidesOtherProcesses() {
        try (Listener server = new Listener("127.0.0.1")) {
            // The traced process waits until the tool is attached, so its PID is known beforehand.
            Process traced = Kernel.bash("sleep 2; exec 3<>/dev/tcp/127.0.0.1/" + server.port());
            try (Tool tool = Tool.start("tcpconnlat", "-p", Long.toString(traced.pid()))) {
                Process other = Kernel.connect("127.0.0.1", server.port());
                Kernel.waitFor(other);
                tool.await(l -> fromPid(l, traced.pid()), WAIT);
                assertThat(tool.lines(Duration.ofMillis(300))).noneMatch(l -> fromPid(l, other.pid()));
            }
        }
    }

    /**
     * The first SYN is dropped (nftables), so the retransmit timer completes the handshake about
     * 1 s later, in softirq context: the row must still name the process that connected. The
     * minimum-latency argument must hide the fast connect made before it.
     */
    @Test
    void lateHandshakeKeepsTheConnectingProcessAndMinLatencyHidesFastOnes() {
        try (Listener server = new Listener("127.0.0.1"); Tool tool = Tool.start("tcpconnlat", "-L", "500")) {
            Process fast = Kernel.connect("127.0.0.1", server.port());
            Kernel.waitFor(fast);
            String table = "tcpconnlat_test_" + ProcessHandle.current().pid();
            Kernel.run("nft", "add table inet " + table);
            try {
                Kernel.run("nft", "add chain inet " + table + " out { type filter hook output priority 0 ; }");
                Kernel.run("nft", "add rule inet " + table + " out tcp dport " + server.port()
                        + " tcp flags & (syn | ack) == syn drop");
                Process slow = Kernel.connect("127.0.0.1", server.port());
                sleep(300);
                Kernel.run("nft", "delete table inet " + table);
                String line = tool.await(l -> fromPid(l, slow.pid()), WAIT);
                assertThat(Kernel.waitFor(slow)).isZero();
                String[] c = cols(line);
                assertThat(c[1]).isEqualTo("bash");
                assertThat(Double.parseDouble(c[7])).isBetween(900.0, 5000.0);
                assertThat(tool.lines(Duration.ofMillis(200))).noneMatch(l -> fromPid(l, fast.pid()));
            } finally {
                Kernel.bash("nft delete table inet " + table + " 2>/dev/null");
            }
        }
    }

    /**
     * -e lists connects nobody answered, each with its cause, and the plain tool does not: one
     * aborted by its process (killed while the SYN was dropped), one timed out and one rejected
     * with ICMP host-unreachable, both in a network namespace where tcp_syn_retries=1 (a timeout
     * in ~3 s).
     */
    @Test
    void failuresWithoutAnAnswerAreListedWithErrors() {
        String ns = "tcpconnlat_test_" + ProcessHandle.current().pid();
        String table = ns;
        Kernel.run("ip", "netns", "add", ns);
        try (Tool plain = Tool.start("tcpconnlat"); Tool errors = Tool.start("tcpconnlat", "-e", "-r")) {
            Kernel.run("ip", "-n", ns, "link", "set", "lo", "up");
            Kernel.run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.tcp_syn_retries=1");
            // SYNs to ports 9 and 11 are dropped as they arrive (so each one was sent, and counted as
            // retransmitted; those to 9 are counted by nftables too); to port 10 they are rejected
            // with ICMP host-unreachable as they leave
            Kernel.run("ip", "netns", "exec", ns, "nft", "add table inet " + table + " ; "
                    + "add chain inet " + table + " in { type filter hook input priority 0 ; } ; "
                    + "add chain inet " + table + " out { type filter hook output priority 0 ; } ; "
                    + "add rule inet " + table + " in tcp dport 9 counter drop ; "
                    + "add rule inet " + table + " in tcp dport 11 drop ; "
                    + "add rule inet " + table + " out tcp dport 10 reject with icmp type host-unreachable");
            Process timedOut = Kernel.bash("exec ip netns exec " + ns + " bash -c 'exec 3<>/dev/tcp/127.0.0.1/9'");
            Process unreachable = Kernel.bash("exec ip netns exec " + ns + " bash -c 'exec 3<>/dev/tcp/127.0.0.1/10'");
            Process aborted = Kernel.bash("exec ip netns exec " + ns + " bash -c 'exec 3<>/dev/tcp/127.0.0.1/11'");
            sleep(300);
            aborted.destroyForcibly();

            // PID COMM IP SADDR DADDR DPORT RESULT RETR LAT(ms)
            String[] a = cols(errors.await(l -> fromPid(l, aborted.pid()), WAIT));
            assertThat(a[6]).isEqualTo("ABORTED");
            assertThat(Double.parseDouble(a[8])).isBetween(200.0, 2000.0);
            String[] u = cols(errors.await(l -> fromPid(l, unreachable.pid()), WAIT));
            assertThat(u[5]).isEqualTo("10");
            assertThat(u[6]).isEqualTo("UNREACH");
            String[] t = cols(errors.await(l -> fromPid(l, timedOut.pid()), Duration.ofSeconds(15)));
            assertThat(t[1]).isEqualTo("bash");
            assertThat(t[6]).isEqualTo("TIMEDOUT");
            java.util.regex.Matcher sent = java.util.regex.Pattern.compile("dport 9 counter packets (\\d+)")
                    .matcher(Kernel.run("ip", "netns", "exec", ns, "nft", "list", "table", "inet", table));
            assertThat(sent.find()).isTrue();
            assertThat(Integer.parseInt(t[7])).as("the SYNs nftables saw, less the first")
                    .isEqualTo(Integer.parseInt(sent.group(1)) - 1).isPositive();
            assertThat(Double.parseDouble(t[8])).isBetween(2000.0, 10000.0);
            assertThat(plain.lines(Duration.ofMillis(200))).hasSize(1);
        } finally {
            Kernel.run("ip", "netns", "delete", ns);
        }
    }

    /**
     * A non-blocking connect rejected with ICMP host-unreachable as its SYN leaves: the error
     * comes while connect() holds the socket, so the kernel keeps it aside (sk_err_soft) with no
     * state change. Read with getsockopt(SO_ERROR) (Java's finishConnect, curl, Go, Python), which
     * clears it, then closed; or closed unread. Both are UNREACH, not ABORTED.
     */
    @Test
    void nonBlockingConnectRefusedByIcmpIsUnreachable() throws Exception {
        int port = Listener.closedPort("127.0.0.1");
        String table = "tcpconnlat_icmp_" + ProcessHandle.current().pid();
        Kernel.run("nft", "add table inet " + table + " ; "
                + "add chain inet " + table + " out { type filter hook output priority 0 ; } ; "
                + "add rule inet " + table + " out ip daddr 127.0.0.1 tcp dport " + port
                + " reject with icmp type host-unreachable");
        try (Tool errors = Tool.start("tcpconnlat", "-e")) {
            var to = new java.net.InetSocketAddress("127.0.0.1", port);
            try (var read = java.nio.channels.SocketChannel.open()) {
                read.configureBlocking(false);
                read.connect(to);
                try (var selector = java.nio.channels.Selector.open()) {
                    read.register(selector, java.nio.channels.SelectionKey.OP_CONNECT);
                    selector.select(5000);
                }
                org.assertj.core.api.Assertions.assertThatThrownBy(read::finishConnect)
                        .hasMessageContaining("No route to host");
            }
            try (var unread = java.nio.channels.SocketChannel.open()) {
                unread.configureBlocking(false);
                unread.connect(to);
                sleep(100);
            }
            long pid = ProcessHandle.current().pid();
            for (int i = 0; i < 2; i++) {
                // PID COMM IP SADDR DADDR DPORT RESULT RETR LAT(ms)
                String[] c = cols(errors.await(l -> fromPid(l, pid) && cols(l)[5].equals(Integer.toString(port)), WAIT));
                assertThat(c[6]).as("connect " + (i + 1)).isEqualTo("UNREACH");
            }
        } finally {
            Kernel.bash("nft delete table inet " + table + " 2>/dev/null");
        }
    }

    /**
     * Why a connect was slow: its first SYN dropped as it arrived (one retransmit, ~1 s), then
     * the first two (two retransmits, ~2 s with linear SYN timeouts, ~3 s without): the RETR
     * column, JSON's syn_retransmits, -H --by retransmits and the exporter's counter agree.
     */
    @Test
    void synRetransmitsAreCountedEverywhere() throws Exception {
        String table = "tcpconnlat_retr_" + ProcessHandle.current().pid();
        int web;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            web = free.getLocalPort();
        }
        Process exporter = ExporterKernelTest.exporter("127.0.0.1:" + web, "--labels", "dport");
        try (Listener server = new Listener("127.0.0.1"); Tool text = Tool.start("tcpconnlat", "-r", "-e");
                Tool json = Tool.start("tcpconnlat", "--json");
                Tool hist = Tool.start("tcpconnlat", "-H", "--by", "retransmits", "-m")) {
            int port = server.port();
            String metrics = "http://127.0.0.1:" + web + "/metrics";
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (System.nanoTime() < deadline && ExporterKernelTest.get(metrics) == null) {
                sleep(100);
            }
            long[] held = {300, 1500};
            long[] pids = new long[2];
            for (int i = 0; i < 2; i++) {
                Kernel.run("nft", "add table inet " + table);
                Kernel.run("nft", "add chain inet " + table + " in { type filter hook input priority 0 ; }");
                Kernel.run("nft", "add rule inet " + table + " in tcp dport " + port + " tcp flags & (syn | ack) == syn drop");
                Process p = Kernel.connect("127.0.0.1", port);
                pids[i] = p.pid();
                sleep(held[i]);
                Kernel.run("nft", "delete table inet " + table);
                assertThat(Kernel.waitFor(p)).isZero();
            }
            // PID COMM IP SADDR DADDR DPORT RESULT RETR LAT(ms)
            for (int i = 0; i < 2; i++) {
                long pid = pids[i];
                String[] c = cols(text.await(l -> fromPid(l, pid), WAIT));
                assertThat(c[6]).isEqualTo("OK");
                assertThat(c[7]).as("SYNs retransmitted").isEqualTo(Integer.toString(i + 1));
                assertThat(Double.parseDouble(c[8])).isBetween(900.0 * (i + 1), 3500.0 * (i + 1));
                JsonNode e = new ObjectMapper().readTree(json.await(l -> l.contains("\"pid\":" + pid + ","), WAIT));
                assertThat(e.get("syn_retransmits").asInt()).isEqualTo(i + 1);
            }
            assertThat(ExporterKernelTest.get(metrics).lines().filter(l -> l.startsWith("tcpconnlat_connect_syn_retransmits_total{")
                    && l.contains("dport=\"" + port + "\"") && l.contains("result=\"ok\"")).toList())
                    .singleElement().asString().endsWith(" 3.0");
            assertThat(hist.interrupt()).isZero();
            List<String> tables = hist.lines(Duration.ofMillis(300));
            assertThat(tables).contains("retransmits = 1", "retransmits = 2");
        } finally {
            Kernel.bash("nft delete table inet " + table + " 2>/dev/null");
            exporter.destroy();
            exporter.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void jsonLinesParseWithEveryField() throws Exception {
        int closed = Listener.closedPort("::1");
        try (Listener server = new Listener("::1"); Tool tool = Tool.start("tcpconnlat", "--json", "-e", "-j")) {
            Process ok = Kernel.connect("::1", server.port());
            Process refused = Kernel.connect("::1", closed);
            ObjectMapper json = new ObjectMapper();
            // the refused connect may well be reported first
            List<String> lines = tool.awaitAll(List.of(l -> l.contains("\"pid\":" + ok.pid() + ","),
                    l -> l.contains("\"pid\":" + refused.pid() + ",")), WAIT);
            JsonNode a = json.readTree(lines.get(0));
            JsonNode b = json.readTree(lines.get(1));
            assertThat(a.get("comm").asText()).isEqualTo("bash");
            assertThat(a.get("family").asInt()).isEqualTo(6);
            assertThat(a.get("saddr").asText()).isEqualTo("::1");
            assertThat(a.get("daddr").asText()).isEqualTo("::1");
            assertThat(a.get("dport").asInt()).isEqualTo(server.port());
            assertThat(a.get("lport").asInt()).isPositive();
            assertThat(a.get("tid").asLong()).isPositive();
            assertThat(a.get("uid").asLong()).isZero();
            assertThat(a.get("result").asText()).isEqualTo("OK");
            assertThat(a.get("errno").asInt()).isZero();
            assertThat(a.get("latency_us").asLong()).isNotNegative();
            assertThat(a.get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
            assertThat(b.get("result").asText()).isEqualTo("REFUSED");
            assertThat(b.get("errno").asInt()).isEqualTo(111);
        }
    }

    /**
     * A comm may hold any byte but NUL (prctl, or the name a program is run by): the text output
     * keeps one connect on one line and no escape sequence reaches the terminal (control
     * characters print as '?', as ps does); JSON holds it decoded as UTF-8, invalid bytes replaced.
     */
    @Test
    void hostileCommsStayOnOneLineAndJsonHoldsThemDecoded() throws Exception {
        try (Listener server = new Listener("127.0.0.1"); Tool text = Tool.start("tcpconnlat");
                Tool json = Tool.start("tcpconnlat", "--json")) {
            // bash run through symlinks whose names become the comm
            Process p = Kernel.script("d=$(mktemp -d) && cd $d && for n in 'evil\\nline' 'q\"\\\\\\303\\251\\377\\033[1m'; do "
                    + "ln -s /bin/bash \"$(printf \"$n\")\" && \"./$(printf \"$n\")\" -c 'exec 3<>/dev/tcp/127.0.0.1/"
                    + server.port() + "'; done; rm -rf $d");
            assertThat(Kernel.waitFor(p)).as(new String(p.getInputStream().readAllBytes())).isZero();
            text.awaitAll(List.of(l -> l.contains(" evil?line "), l -> l.contains(" q\"\\\u00e9\ufffd?[1m ")), WAIT);
            json.awaitAll(List.of(l -> comm(l).equals("evil\nline"),
                    l -> comm(l).equals("q\"\\\u00e9\ufffd\u001b[1m")), WAIT);
            assertThat(text.lines(Duration.ofMillis(200))).noneMatch(l -> l.startsWith("line"));
        }
    }

    private static String comm(String line) {
        assertThat(line).startsWith("{");
        try {
            return new ObjectMapper().readTree(line).get("comm").asText();
        } catch (java.io.IOException e) {
            throw new AssertionError(line, e);
        }
    }

    /**
     * A process in a cgroup named like a systemd unit: both tools' JSON carry "unit", and
     * -H --by unit has a table for it.
     */
    @Test
    void jsonAndHistogramsNameTheUnit() throws Exception {
        java.nio.file.Path cgroups = java.nio.file.Path.of(Kernel.run("bash", "-c",
                "awk '$3 == \"cgroup2\" {print $2; exit}' /proc/mounts").trim());
        java.nio.file.Path unit = cgroups.resolve("tcpconnlat-json-test.service");
        java.nio.file.Files.createDirectories(unit);
        try (Listener server = new Listener("127.0.0.1"); Tool latJson = Tool.start("tcpconnlat", "--json");
                Tool connectJson = Tool.start("tcpconnect", "-j"); Tool hist = Tool.start("tcpconnlat", "-H", "--by", "unit")) {
            Process p = Kernel.bash("echo $$ > " + unit.resolve("cgroup.procs") + " && exec 3<>/dev/tcp/127.0.0.1/" + server.port());
            Kernel.waitFor(p);
            for (Tool json : List.of(latJson, connectJson)) {
                JsonNode e = new ObjectMapper().readTree(json.await(l -> l.contains("\"pid\":" + p.pid() + ","), WAIT));
                assertThat(e.get("unit").asText()).isEqualTo("tcpconnlat-json-test.service");
                assertThat(e.get("container_id").asText()).isEmpty();
            }
            assertThat(hist.interrupt()).isZero();
            assertThat(hist.lines(Duration.ofMillis(300))).contains("unit = tcpconnlat-json-test.service");
        } finally {
            Kernel.waitFor(Kernel.bash("rmdir " + unit));
        }
    }

    @Test
    void sigtermAndSigintDetachEverything() {
        try (Tool tool = Tool.start("tcpconnlat")) {
            List<Integer> programs = tool.programIds();
            assertThat(programs).hasSize(1);
            Kernel.run("kill", "-TERM", Long.toString(tool.pid()));
            assertThat(tool.waitForExit()).isZero();
            assertThat(tool.stderr()).isEmpty();
            Kernel.assertUnloaded(programs);
        }
        try (Tool tool = Tool.start("tcpconnect")) {
            List<Integer> programs = tool.programIds();
            assertThat(programs).hasSize(2);
            assertThat(tool.interrupt()).isZero();
            Kernel.assertUnloaded(programs);
        }
    }

    @Test
    void closedPipeEndsQuietly() throws Exception {
        try (Listener server = new Listener("127.0.0.1")) {
            String cmd = Tool.shell("tcpconnlat") + " | head -2";
            List<Integer> before = Kernel.loadedPrograms();
            Process pipeline = new ProcessBuilder("bash", "-c", cmd).redirectErrorStream(true).start();
            // Connect until head has had its lines and the tool noticed the closed pipe.
            for (int i = 0; i < 100 && pipeline.isAlive(); i++) {
                Kernel.waitFor(Kernel.connect("127.0.0.1", server.port()));
                sleep(100);
            }
            assertThat(Kernel.waitFor(pipeline)).isZero();
            List<String> out = new String(pipeline.getInputStream().readAllBytes()).lines().toList();
            assertThat(out).hasSize(2);
            assertThat(out.get(0)).startsWith("PID");
            Kernel.assertUnloaded(Kernel.loadedPrograms().stream().filter(id -> !before.contains(id)).toList());
        }
    }

    @Test
    void withoutCapabilitiesItSaysSoInOneLine() throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                "setpriv", "--bounding-set=-all", "--inh-caps=-all", "--"));
        cmd.addAll(Tool.command("tcpconnlat"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(Kernel.waitFor(p)).isEqualTo(1);
        assertThat(out).isEqualTo(
                "tcpconnlat: must run as root: missing CAP_BPF and CAP_PERFMON: try sudo tcpconnlat\n");
    }

    /**
     * A missing libbpf.so.1 and a kernel without BTF, simulated in a private mount namespace by
     * bind-mounting an empty file over them: one line each, naming what to do, exit 1.
     */
    @Test
    void missingLibbpfAndMissingBtfAreOneLine() throws Exception {
        String libbpf = java.nio.file.Path.of("/usr/lib/x86_64-linux-gnu/libbpf.so.1").toRealPath().toString();
        String tool = Tool.shell("tcpconnlat");
        for (var c : List.of(
                List.of(libbpf, "tcpconnlat: libbpf.so.1 not found: install the libbpf1 package (apt-get install libbpf1)\n"),
                List.of("/sys/kernel/btf/vmlinux", "tcpconnlat: this kernel has no BTF (/sys/kernel/btf/vmlinux is "
                        + "missing): it needs a kernel built with CONFIG_DEBUG_INFO_BTF=y\n"))) {
            Process p = new ProcessBuilder("unshare", "-m", "bash", "-c",
                    "mount --bind /dev/null " + c.get(0) + " && exec " + tool).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(Kernel.waitFor(p)).isEqualTo(1);
            assertThat(out).isEqualTo(c.get(1));
        }
    }

    /**
     * Below the measured floor (5.10) every tool says so in one line, exit 1, before anything
     * is loaded: the kernel's release as setarch --uname-2.6 shows it (2.6.x).
     */
    @Test
    void belowTheKernelFloorEveryToolSaysSoInOneLine() throws Exception {
        List<Integer> before = Kernel.loadedPrograms();
        for (String tool : List.of("tcpconnlat", "tcpconnect", "tcpconnlat-exporter")) {
            Process p = new ProcessBuilder("setarch", "x86_64", "--uname-2.6", "bash", "-c", "exec " + Tool.shell(tool))
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(Kernel.waitFor(p)).isEqualTo(1);
            assertThat(out).matches(tool + ": kernel 2\\.6\\.\\S+ is too old: " + tool + " needs Linux 5\\.10 or newer\n");
        }
        assertThat(Kernel.loadedPrograms()).as("nothing loaded").allMatch(before::contains);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
