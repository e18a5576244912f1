package dev.tcpconnlat.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every way a tool is stopped leaves nothing attached; the ways scripts and terminals stop it. */
class SignalsKernelTest {
    @BeforeEach
    void root() {
        Kernel.requireRoot();
    }

    /** A script's background job gets SIGINT ignored; `kill -INT` must still stop it. */
    @Test
    void scriptStartedBackgroundRunStopsOnKillInt() throws Exception {
        List<Integer> before = Kernel.loadedPrograms();
        Process script = Kernel.script(Tool.shell("tcpconnlat") + " > /dev/null 2>&1 & pid=$!\n"
                + "for i in $(seq 300); do grep -qs '^tfd' /proc/$pid/fdinfo/* && break; sleep 0.1; done\n"
                + "grep SigIgn /proc/$pid/status\n"
                + "kill -INT $pid; wait $pid; echo exit=$?");
        assertThat(script.waitFor(30, TimeUnit.SECONDS)).as("the background run stopped on SIGINT").isTrue();
        String out = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).contains("exit=0");
        Kernel.assertUnloaded(Kernel.loadedPrograms().stream().filter(id -> !before.contains(id)).toList());
    }

    /**
     * A stop signal at any moment after launch, while the JVM starts, the command line is
     * parsed or the BPF object loads, with SIGINT handed over ignored (a script's background
     * job): every tool ends, and nothing of it stays attached.
     */
    @Test
    void aStopAtAnyMomentAfterLaunchLeavesNothingAttached() throws Exception {
        List<Integer> before = Kernel.loadedPrograms();
        for (String tool : List.of("tcpconnlat", "tcpconnect", "tcpconnlat-exporter")) {
            for (String delay : List.of("0.01", "0.2", "0.45")) {
                String args = "";
                if (tool.equals("tcpconnlat-exporter")) {
                    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
                        args = " --web.listen-address 127.0.0.1:" + free.getLocalPort();
                    }
                }
                java.nio.file.Path err = java.nio.file.Files.createTempFile("tcpconnlat-stop", ".err");
                Process script = Kernel.script(Tool.shell(tool) + args + " > /dev/null 2> " + err + " & pid=$!\n"
                        + "echo $pid; sleep " + delay + "; kill -INT $pid; wait $pid; echo exit=$?");
                BufferedReader out = script.inputReader(StandardCharsets.UTF_8);
                String pid = out.readLine();
                try {
                    assertThat(script.waitFor(20, TimeUnit.SECONDS)).as(tool + " stopped " + delay + " s after launch")
                            .isTrue();
                    String exit = out.readLine();
                    String stderr = java.nio.file.Files.readString(err);
                    // 0: our handler; 130: the JVM's own, before main. A signal in the JVM's first
                    // milliseconds may also end it with 1 and the JVM's "Runtime.exit(130) logging
                    // failed" line: nothing of ours has run then.
                    if (!exit.equals("exit=1") || !stderr.contains("Runtime.exit(130)")) {
                        assertThat(exit).as(tool + " after " + delay + " s; stderr: " + stderr).isIn("exit=0", "exit=130");
                    }
                } finally {
                    java.nio.file.Files.deleteIfExists(err);
                    Kernel.bash("kill -KILL " + pid + " 2>/dev/null"); // never left attached for the next test
                }
            }
        }
        Kernel.assertUnloaded(Kernel.loadedPrograms().stream().filter(id -> !before.contains(id)).toList());
    }

    /** `timeout -s INT 3 tcpconnect -c`: the table is printed when the signal comes (and the tool exits 0). */
    @Test
    void timeoutWithSigintPrintsTheCountTable() throws Exception {
        try (Listener server = new Listener("127.0.0.1")) {
            Process p = Kernel.script("timeout --preserve-status -s INT 8 " + Tool.shell("tcpconnect", "-c", "-P",
                    Integer.toString(server.port())));
            BufferedReader reader = p.inputReader(StandardCharsets.UTF_8);
            assertThat(reader.readLine()).isEqualTo("Tracing connect ... Hit Ctrl-C to end"); // attached
            for (int i = 0; i < 5; i++) {
                Kernel.waitFor(Kernel.connect("127.0.0.1", server.port()));
            }
            List<String> out = reader.lines().toList();
            assertThat(Kernel.waitFor(p)).isZero();
            assertThat(out).anyMatch(l -> l.matches("127\\.0\\.0\\.1 +127\\.0\\.0\\.1 +" + server.port() + " +5 *"));
        }
    }

    /** The terminal closed: SIGHUP detaches and exits 0. */
    @Test
    void sighupDetachesEverything() {
        try (Tool tool = Tool.start("tcpconnect")) {
            List<Integer> programs = tool.programIds();
            Kernel.run("kill", "-HUP", Long.toString(tool.pid()));
            assertThat(tool.waitForExit()).isZero();
            Kernel.assertUnloaded(programs);
        }
    }

    /** After SIGKILL nothing of ours stays: every program and link was held by the process's fds. */
    @Test
    void afterSigkillNoProgramOrLinkStays() {
        try (Tool tool = Tool.start("tcpconnect", "-d")) {
            List<Integer> programs = tool.programIds();
            List<Integer> links = Kernel.bpfIdsOf(tool.pid(), "link_id");
            assertThat(programs).hasSize(3);
            assertThat(links).hasSize(3);
            Kernel.run("kill", "-KILL", Long.toString(tool.pid()));
            tool.waitForExit();
            Kernel.assertUnloaded(programs);
            String linkShow = Kernel.run("bpftool", "link", "show");
            for (int id : links) {
                assertThat(linkShow.lines()).noneMatch(l -> l.startsWith(id + ": "));
            }
        }
    }

    /**
     * stdout is a pipe nobody reads (a paused pager): once it is full, the first SIGINT cannot be
     * acted on, the second ends the process at once.
     */
    @Test
    void aSecondSignalEndsItAtOnceWhileStdoutIsBlocked() throws Exception {
        try (Acceptor server = new Acceptor("127.0.0.1")) {
            Process tool = new ProcessBuilder(Tool.command("tcpconnlat", "-p", Long.toString(ProcessHandle.current().pid())))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start(); // stdout: a pipe never read
            try {
                assertThat(Tool.awaitPolling(tool, Duration.ofSeconds(30))).as("attached").isTrue();
                List<Integer> programs = Kernel.bpfIdsOf(tool.pid(), "prog_id");
                // ~70 bytes a line: 3,000 connects overfill the 64 KiB pipe.
                assertThat(server.connects(3000)).isEqualTo(3000);
                TcpConnLatKernelTest.sleep(500);
                Kernel.run("kill", "-INT", Long.toString(tool.pid()));
                TcpConnLatKernelTest.sleep(1000);
                assertThat(tool.isAlive()).as("blocked writing, the first signal cannot end it").isTrue();
                Kernel.run("kill", "-INT", Long.toString(tool.pid()));
                assertThat(tool.waitFor(2, TimeUnit.SECONDS)).as("the second signal ends it at once").isTrue();
                assertThat(tool.exitValue()).isEqualTo(130);
                Kernel.assertUnloaded(programs);
            } finally {
                tool.destroyForcibly();
            }
        }
    }
}
