package dev.tcpconnlat.it;

import static dev.tcpconnlat.it.TcpConnLatKernelTest.cols;
import static dev.tcpconnlat.it.TcpConnLatKernelTest.fromPid;
import static dev.tcpconnlat.it.TcpConnLatKernelTest.sleep;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** tcpconnect end to end, option by option, on the real kernel. */
class TcpConnectKernelTest {
    static final Duration WAIT = TcpConnLatKernelTest.WAIT;

    @BeforeEach
    void root() {
        Kernel.requireRoot();
    }

    @Test
    void attemptIsShownAtOnceEvenWhileTheHandshakeHangs() {
        try (Listener server = new Listener("127.0.0.1"); Tool tool = Tool.start("tcpconnect")) {
            assertThat(tool.header()).isEqualTo(
                    "PID     COMM         IP SADDR            DADDR            DPORT ");
            String table = "tcpconnect_test_" + ProcessHandle.current().pid();
            Kernel.run("nft", "add table inet " + table);
            try {
                Kernel.run("nft", "add chain inet " + table + " out { type filter hook output priority 0 ; }");
                Kernel.run("nft", "add rule inet " + table + " out tcp dport " + server.port() + " drop");
                Process hanging = Kernel.connect("127.0.0.1", server.port());
                String line = tool.await(l -> fromPid(l, hanging.pid()), Duration.ofMillis(900));
                assertThat(hanging.isAlive()).as("connect() still waiting for an answer").isTrue();
                assertThat(line).isEqualTo(String.format(Locale.ROOT, "%-7d %-12.12s %-2d %-16s %-16s %-6d",
                        hanging.pid(), "bash", 4, "127.0.0.1", "127.0.0.1", server.port()));
                hanging.destroyForcibly();
            } finally {
                Kernel.run("nft", "delete table inet " + table);
            }
        }
    }

    @Test
    void refusedAttemptsAreListedWithTimestampUidAndLport() {
        int port = Listener.closedPort("::1");
        try (Tool tool = Tool.start("tcpconnect", "-t", "-U", "-L")) {
            assertThat(tool.header()).isEqualTo(
                    "TIME(s)  UID   PID     COMM         IP SADDR            LPORT  DADDR            DPORT ");
            Process client = Kernel.connect("::1", port);
            assertThat(Kernel.waitFor(client)).isNotZero();
            String[] c = cols(tool.await(l -> l.contains(" " + client.pid() + " "), WAIT));
            assertThat(Double.parseDouble(c[0])).isGreaterThanOrEqualTo(0.0);
            assertThat(c[1]).isEqualTo("0");
            assertThat(c[2]).isEqualTo(Long.toString(client.pid()));
            assertThat(c[3]).isEqualTo("bash");
            assertThat(c[4]).isEqualTo("6");
            assertThat(c[5]).isEqualTo("::1");
            assertThat(Integer.parseInt(c[6])).isBetween(1, 65535);
            assertThat(c[7]).isEqualTo("::1");
            assertThat(c[8]).isEqualTo(Integer.toString(port));
        }
    }

    @Test
    void portListFiltersDestinations() {
        try (Listener a = new Listener("127.0.0.1"); Listener b = new Listener("127.0.0.1");
                Listener other = new Listener("127.0.0.1");
                Tool tool = Tool.start("tcpconnect", "-P", Integer.toString(a.port()), "-P", Integer.toString(b.port()))) {
            Process toOther = Kernel.connect("127.0.0.1", other.port());
            Kernel.waitFor(toOther);
            Process toA = Kernel.connect("127.0.0.1", a.port());
            Process toB = Kernel.connect("127.0.0.1", b.port());
            tool.awaitAll(List.of(l -> fromPid(l, toA.pid()), l -> fromPid(l, toB.pid())), WAIT);
            assertThat(tool.lines(Duration.ofMillis(200))).noneMatch(l -> fromPid(l, toOther.pid()));
        }
    }

    @Test
    void uidFilterShowsOnlyThatUser() {
        try (Listener server = new Listener("127.0.0.1"); Tool tool = Tool.start("tcpconnect", "-U", "-u", "65534")) {
            Process asRoot = Kernel.connect("127.0.0.1", server.port());
            Kernel.waitFor(asRoot);
            Process asNobody = Kernel.bash("exec setpriv --reuid=65534 --regid=65534 --clear-groups "
                    + "bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + server.port() + "'");
            String[] c = cols(tool.await(l -> l.startsWith("65534 "), WAIT));
            assertThat(c[1]).isEqualTo(Long.toString(asNobody.pid()));
            assertThat(tool.lines(Duration.ofMillis(200))).noneMatch(l -> l.contains(" " + asRoot.pid() + " "));
        }
    }

    /** Which process an "inside" connect comes from, and the map key that selects it. */
    interface Inside {
        Process start(int port) throws IOException;

        long key(Process p) throws IOException;
    }

    /**
     * Starts tcpconnect with {@code option} on an empty pinned map, then a process that connects a
     * second later, and only then puts its key in the map (changes must take effect at once): its
     * connect shows, another process's does not.
     */
    private static void onlyKeysInTheMapAreTraced(String option, Inside inside) throws IOException {
        String map = Pinned.path(option.substring(2));
        try (Listener server = new Listener("127.0.0.1")) {
            Kernel.run("bpftool", "map", "create", map, "type", "hash", "key", "8", "value", "8",
                    "entries", "128", "name", "filter");
            try (Tool tool = Tool.start("tcpconnect", option, map)) {
                Process in = inside.start(server.port());
                Pinned.put(map, inside.key(in));
                Process outside = Kernel.connect("127.0.0.1", server.port());
                Kernel.waitFor(outside);
                tool.await(l -> fromPid(l, in.pid()), WAIT);
                assertThat(tool.lines(Duration.ofMillis(200))).noneMatch(l -> fromPid(l, outside.pid()));
                Kernel.waitFor(in);
            }
        } finally {
            Files.deleteIfExists(Path.of(map));
        }
    }

    @Test
    void cgroupMapTracesOnlyListedCgroupsAndFollowsMapChanges() throws IOException {
        Path child = dev.tcpconnlat.trace.CgroupV2.root().resolve("tcpconnect-test-" + ProcessHandle.current().pid());
        Files.createDirectories(child);
        try {
            onlyKeysInTheMapAreTraced("--cgroupmap", new Inside() {
                @Override
                public Process start(int port) throws IOException {
                    Process p = Kernel.bash("sleep 1; exec 3<>/dev/tcp/127.0.0.1/" + port);
                    Files.writeString(child.resolve("cgroup.procs"), Long.toString(p.pid()));
                    return p;
                }

                @Override
                public long key(Process p) throws IOException {
                    return (long) Files.getAttribute(child, "unix:ino"); // a cgroup v2 id is its inode
                }
            });
        } finally {
            Files.deleteIfExists(child);
        }
    }

    @Test
    void mountNamespaceMapTracesOnlyListedNamespaces() throws IOException {
        onlyKeysInTheMapAreTraced("--mntnsmap", new Inside() {
            @Override
            public Process start(int port) {
                return Kernel.bash("exec unshare -m bash -c 'sleep 1; exec 3<>/dev/tcp/127.0.0.1/" + port + "'");
            }

            @Override
            public long key(Process p) throws IOException {
                return mountNamespaceOf(p.pid());
            }
        });
    }

    /** Waits until the process has left the host's mount namespace, and returns its namespace inode. */
    private static long mountNamespaceOf(long pid) throws IOException {
        String host = Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString();
        for (int i = 0; i < 100; i++) {
            String ns = Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/mnt")).toString();
            if (!ns.equals(host)) {
                return Long.parseLong(ns.replaceAll("\\D", ""));
            }
            sleep(10);
        }
        throw new AssertionError("process " + pid + " never entered a new mount namespace");
    }

    @Test
    void countModePrintsTheTableOnSigint() {
        try (Listener a = new Listener("127.0.0.1"); Listener b = new Listener("::1");
                Tool tool = Tool.start("tcpconnect", "-c", "-P", a.port() + "," + b.port())) {
            assertThat(tool.header()).isEqualTo("Tracing connect ... Hit Ctrl-C to end");
            for (int i = 0; i < 3; i++) {
                Kernel.waitFor(Kernel.connect("127.0.0.1", a.port()));
            }
            Kernel.waitFor(Kernel.connect("::1", b.port()));
            assertThat(tool.lines(Duration.ofMillis(300))).hasSize(1);
            assertThat(tool.interrupt()).isZero();
            assertThat(tool.lines(Duration.ofMillis(500))).containsExactly(
                    "Tracing connect ... Hit Ctrl-C to end",
                    "",
                    "LADDR                     RADDR                     RPORT                CONNECTS  ",
                    String.format(Locale.ROOT, "%-25s %-25s %-20s %-10d", "127.0.0.1", "127.0.0.1", a.port(), 3),
                    String.format(Locale.ROOT, "%-25s %-25s %-20s %-10d", "::1", "::1", b.port(), 1));
        }
    }

    @Test
    void badPinnedMapPathsAreOneLine() throws Exception {
        for (var c : List.of(
                List.of("--cgroupmap", "/nonexistent/map", "--cgroupmap /nonexistent/map: no such file"),
                List.of("--mntnsmap", "/etc/hostname", "--mntnsmap /etc/hostname: not a pinned BPF object"))) {
            List<String> cmd = Tool.command("tcpconnect", c.get(0), c.get(1));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(Kernel.waitFor(p)).isEqualTo(1);
            assertThat(out.lines()).hasSize(1);
            assertThat(out).startsWith("tcpconnect: " + c.get(2));
        }
        String map = Pinned.path("k4");
        try {
            Kernel.run("bpftool", "map", "create", map, "type", "hash", "key", "4", "value", "8",
                    "entries", "8", "name", "k4");
            Process p = new ProcessBuilder(Tool.command("tcpconnect", "--cgroupmap", map))
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(Kernel.waitFor(p)).isEqualTo(1);
            assertThat(out).isEqualTo("tcpconnect: --cgroupmap " + map
                    + ": key size is 4 bytes, expected 8 (a u64 cgroup id)\n");
        } finally {
            Files.deleteIfExists(Path.of(map));
        }
    }
}
