package dev.tcpconnlat.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpconnlat.trace.TraceConfig;
import dev.tcpconnlat.trace.Tracer;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a tool left running for days needs: no growth, exact loss accounting, clear privilege errors. */
class AlwaysOnKernelTest {
    @BeforeEach
    void root() {
        Kernel.requireRoot();
    }

    /**
     * What the poll loop does besides polling (reading the loss counters) allocates nothing that
     * outlives the call. Looking a map up by name on every iteration, as an earlier version did,
     * kept ~50 bytes per call in the object's arena: ~10 MB here.
     */
    @Test
    void readingTheCountersKeepsNothing() {
        try (Tracer tracer = Tracer.start(TraceConfig.builder(TraceConfig.Mode.LATENCY).build())) {
            Tracer.LossListener ignore = (loss, newly, total) -> {};
            for (int i = 0; i < 20_000; i++) {
                tracer.reportLosses(ignore);
            }
            long before = liveHeap();
            for (int i = 0; i < 200_000; i++) {
                tracer.reportLosses(ignore);
            }
            assertThat(liveHeap() - before).as("live heap growth, bytes").isLessThan(256 * 1024);
        }
    }

    private static long liveHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** A 4 KiB ring (~36 events) under a storm: every connect is either printed or counted as lost. */
    @Test
    void printedPlusReportedLostIsEveryConnect() throws Exception {
        long self = ProcessHandle.current().pid();
        try (Acceptor server = new Acceptor("127.0.0.1")) {
            int made;
            List<String> lines;
            String stderr;
            try (Tool tool = Tool.start("tcpconnlat", "-b", "4K", "-p", Long.toString(self))) {
                made = server.storm(2, 4000);
                TcpConnLatKernelTest.sleep(300);
                assertThat(tool.interrupt()).isZero();
                lines = tool.lines(Duration.ofMillis(300));
                stderr = tool.stderr();
            }
            long printed = lines.stream().filter(l -> l.startsWith(self + " ")).count();
            Matcher m = Pattern.compile("tcpconnlat: \\d+ events lost: the ring buffer was full \\((\\d+) in all\\)")
                    .matcher(stderr);
            long lost = 0;
            while (m.find()) {
                lost = Long.parseLong(m.group(1));
            }
            assertThat(lost).as("the 4 KiB ring overflowed; stderr: " + stderr).isPositive();
            assertThat(printed + lost).as("printed " + printed + " + lost " + lost).isEqualTo(made);
        }
    }

    /**
     * Not root, with CAP_BPF and CAP_PERFMON: tcpconnlat runs; tcpconnect and -d, which attach
     * cgroup programs, name the missing CAP_NET_ADMIN; with it, tcpconnect runs too.
     */
    @Test
    void partialCapabilitiesNameWhatIsMissing(@TempDir Path tmp) throws Exception {
        String asNobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
        String bpfPerfmon = "--inh-caps=-all,+bpf,+perfmon --ambient-caps=-all,+bpf,+perfmon ";
        Path root = reachableByNobody(asNobody, tmp);
        for (String tool : List.of("tcpconnect", "tcpconnlat -d")) {
            String[] argv = tool.split(" ");
            Process p = Kernel.script(asNobody + bpfPerfmon + launcher(root, tool));
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(Kernel.waitFor(p)).isEqualTo(1);
            assertThat(out).isEqualTo(argv[0] + ": must run as root: missing CAP_NET_ADMIN "
                    + "(to attach programs to the cgroup v2 root): try sudo " + argv[0] + "\n");
        }
        // -e runs too, and says what it cannot see without CAP_NET_ADMIN (the getsockopt hook)
        Process failures = Kernel.script("exec " + asNobody + bpfPerfmon + launcher(root, "tcpconnlat -e"));
        try {
            var lines = failures.inputReader(StandardCharsets.UTF_8);
            assertThat(lines.readLine()).isEqualTo("tcpconnlat: without CAP_NET_ADMIN, a non-blocking connect refused"
                    + " by ICMP shows as ABORTED when its application read the error (getsockopt SO_ERROR) before closing");
            assertThat(lines.readLine()).startsWith("PID     COMM");
        } finally {
            failures.destroy();
            Kernel.waitFor(failures);
        }
        for (String run : List.of(bpfPerfmon + launcher(root, "tcpconnlat"),
                "--inh-caps=-all,+bpf,+perfmon,+net_admin --ambient-caps=-all,+bpf,+perfmon,+net_admin "
                        + launcher(root, "tcpconnect"))) {
            Process p = Kernel.script("exec " + asNobody + run);
            try {
                assertThat(p.inputReader(StandardCharsets.UTF_8).readLine()).startsWith("PID     COMM");
            } finally {
                p.destroy();
                Kernel.waitFor(p);
            }
        }
    }

    /** The repository's launcher of {@code tool} (words: the tool, then its arguments) under {@code root}. */
    private static String launcher(Path root, String tool) {
        String[] argv = tool.split(" ");
        List<String> words = new java.util.ArrayList<>(List.of(root.resolve(argv[0]).toString()));
        words.addAll(List.of(argv).subList(1, argv.length));
        return String.join(" ", words.stream().map(w -> "'" + w + "'").toList());
    }

    /**
     * The checkout, or when user nobody cannot reach it (a clone under /root, which is 0700) a
     * copy of what the launchers run (timestamps kept, so the jar stays fresh) where it can.
     */
    private static Path reachableByNobody(String asNobody, Path tmp) throws Exception {
        Path root = Tool.root();
        Process probe = Kernel.script(asNobody + "test -x " + root.resolve("scripts/launch")
                + " -a -r " + root.resolve("target/tcpconnlat.jar"));
        if (Kernel.waitFor(probe) == 0) {
            return root;
        }
        Path copy = tmp.resolve("checkout");
        Process cp = Kernel.script("set -e; mkdir -p " + copy + "/target; cd " + root
                + "; cp -a tcpconnlat tcpconnect tcpconnlat-exporter pom.xml scripts src " + copy
                + "; cp -a target/tcpconnlat.jar " + copy + "/target"
                + "; if [ -f target/tcpconnlat.aot ]; then cp -a target/tcpconnlat.aot " + copy + "/target; fi"
                + "; chmod 755 " + tmp + "; chmod -R a+rX " + copy);
        assertThat(Kernel.waitFor(cp)).as("copying the checkout for user nobody").isZero();
        return copy;
    }
}
