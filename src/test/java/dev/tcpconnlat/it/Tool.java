package dev.tcpconnlat.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One of the tools running as a user runs it: through its launcher in the repository root
 * (./tcpconnlat, ./tcpconnect), so with the shipped JVM flags (heap limit, C1, AOT cache).
 * The launcher execs the JVM, so the process is the tool itself.
 */
final class Tool implements AutoCloseable {
    private final Process process;
    private final LinkedBlockingQueue<String> pending = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();
    private final StringBuffer stderr = new StringBuffer();
    private final String first;

    private Tool(Process process, Duration attachTimeout, boolean printsHeader) {
        this.process = process;
        Thread.ofPlatform().daemon().start(() -> pump(process.inputReader(StandardCharsets.UTF_8), true));
        Thread.ofPlatform().daemon().start(() -> pump(process.errorReader(StandardCharsets.UTF_8), false));
        if (printsHeader) {
            first = next(attachTimeout);
        } else {
            first = awaitPolling(process, attachTimeout) ? "" : null;
        }
        if (first == null) {
            process.destroyForcibly();
            fail("the tool did not attach in time; stderr: " + stderr);
        }
    }

    /**
     * For output without a header (JSON): attached once the process polls its ring buffer, which
     * it opens after every program is attached (an epoll fd's fdinfo lists its "tfd:" targets).
     */
    static boolean awaitPolling(Process process, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && process.isAlive()) {
            if (Kernel.bpfIdsOf(process.pid(), "tfd").size() > 0) {
                return true;
            }
            TcpConnLatKernelTest.sleep(20);
        }
        return false;
    }

    /** The BPF programs this process has loaded. */
    List<Integer> programIds() {
        return Kernel.bpfIdsOf(process.pid(), "prog_id").stream().distinct().toList();
    }

    /** The repository root, where the launchers are (set by the build). */
    static Path root() {
        return Path.of(System.getProperty("tcpconnlat.root", System.getProperty("user.dir")));
    }

    static List<String> command(String tool, String... args) {
        List<String> cmd = new ArrayList<>(List.of(root().resolve(tool).toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** The command as one shell word list, for bash -c. */
    static String shell(String tool, String... args) {
        return String.join(" ", command(tool, args).stream().map(a -> "'" + a + "'").toList());
    }

    /** Starts the tool and waits until it prints its first line, which it does once attached. */
    static Tool start(String tool, String... args) {
        return start(Duration.ofSeconds(30), tool, args);
    }

    /** {@link #start(String, String...)}, waiting up to {@code attach} (the kernel matrix's VMs are slow). */
    static Tool start(Duration attach, String tool, String... args) {
        boolean json = List.of(args).contains("--json") || List.of(args).contains("-j");
        try {
            return new Tool(new ProcessBuilder(command(tool, args)).start(), attach, !json);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private void pump(BufferedReader reader, boolean out) {
        try (reader) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (out) {
                    pending.add(line);
                } else {
                    stderr.append(line).append('\n');
                }
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    private String next(Duration timeout) {
        try {
            String line = pending.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (line != null) {
                seen.add(line);
            }
            return line;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    String header() {
        return first;
    }

    long pid() {
        return process.pid();
    }

    /** The first new line matching {@code p}; fails with everything seen if none comes in time. */
    String await(Predicate<String> p, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String line = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (line != null && p.test(line)) {
                return line;
            }
        }
        fail("no matching line within " + timeout + "; seen: " + seen + "; stderr: " + stderr);
        return null;
    }

    /** Waits until each predicate has matched a new line, in any order; returns the lines, in the predicates' order. */
    List<String> awaitAll(List<Predicate<String>> all, Duration timeout) {
        String[] matched = new String[all.size()];
        int left = all.size();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (left > 0 && System.nanoTime() < deadline) {
            String line = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            for (int i = 0; line != null && i < matched.length; i++) {
                if (matched[i] == null && all.get(i).test(line)) {
                    matched[i] = line;
                    left--;
                    break;
                }
            }
        }
        if (left > 0) {
            fail(left + " expected lines missing after " + timeout + "; seen: " + seen + "; stderr: " + stderr);
        }
        return List.of(matched);
    }

    /** Every line printed so far (waits {@code quiet} for stragglers first). */
    List<String> lines(Duration quiet) {
        String line;
        while ((line = next(quiet)) != null) {
            // collected in seen
        }
        return List.copyOf(seen);
    }

    String stderr() {
        return stderr.toString();
    }

    /** SIGINT, as Ctrl-C; returns the exit status. */
    int interrupt() {
        signal("INT");
        return waitForExit();
    }

    void signal(String name) {
        Kernel.run("kill", "-" + name, Long.toString(process.pid()));
    }

    int waitForExit() {
        return waitForExit(Duration.ofSeconds(10));
    }

    int waitForExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                fail("the tool did not exit within " + timeout + " of the signal");
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
