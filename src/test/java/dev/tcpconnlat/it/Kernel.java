package dev.tcpconnlat.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Guards and helpers for tests that load the real BPF program. */
final class Kernel {
    private Kernel() {}

    /** Kernel tests need root. Skipped loudly when not root, but a failure under CI=true. */
    static void requireRoot() {
        dev.tcpconnlat.Prerequisite.require(isRoot(),
                "kernel test needs root (it loads the real BPF program): run sudo ./scripts/test");
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Runs a command to completion and returns its stdout; fails the test on a non-zero exit. */
    static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                fail(String.join(" ", command) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError(String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The ids of the BPF programs loaded now, from bpftool. */
    static List<Integer> loadedPrograms() {
        return run("bpftool", "prog", "show").lines()
                .filter(l -> l.matches("^\\d+: .*"))
                .map(l -> Integer.parseInt(l.substring(0, l.indexOf(':'))))
                .toList();
    }

    /** Asserts that none of these programs stays loaded (the kernel frees them shortly after the last fd). */
    static void assertUnloaded(List<Integer> programs) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        List<Integer> left = programs;
        while (System.nanoTime() < deadline) {
            List<Integer> loaded = loadedPrograms();
            left = programs.stream().filter(loaded::contains).toList();
            if (left.isEmpty()) {
                return;
            }
            TcpConnLatKernelTest.sleep(50);
        }
        fail("BPF programs still loaded after the tool exited: " + left);
    }

    /** Ids of what a process's fds refer to, from /proc/PID/fdinfo ("prog_id", "link_id", epoll's "tfd"). */
    static List<Integer> bpfIdsOf(long pid, String kind) {
        List<Integer> ids = new java.util.ArrayList<>();
        java.io.File[] fds = new java.io.File("/proc/" + pid + "/fdinfo").listFiles();
        if (fds == null) {
            return ids;
        }
        for (java.io.File fd : fds) {
            try {
                for (String line : java.nio.file.Files.readAllLines(fd.toPath())) {
                    if (line.startsWith(kind + ":")) {
                        ids.add(Integer.parseInt(line.substring(kind.length() + 1).trim().split("\\s+")[0]));
                    }
                }
            } catch (IOException | RuntimeException ignored) {
                // the fd closed meanwhile
            }
        }
        return ids;
    }

    /**
     * Starts bash connecting to host:port over TCP (bash's /dev/tcp), so the connect comes from a
     * process whose PID and COMM ("bash") the test knows. The process exits right after.
     */
    static Process connect(String host, int port) {
        return bash("exec 3<>/dev/tcp/" + host + "/" + port);
    }

    static Process bash(String script) {
        try {
            return new ProcessBuilder("bash", "-c", script).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Runs a bash script, stdout and stderr together in its input stream. */
    static Process script(String script) {
        try {
            return new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static int waitFor(Process p) {
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("process did not finish: " + p.info());
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
