package dev.tcpconnlat.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** tcpconnlat -H: histograms aggregated in the kernel, checked against connects of known latency. */
class HistogramKernelTest {
    private static final Pattern SUMMARY = Pattern.compile(
            "count (\\d+)  p50 ~([\\d.]+) ms  p90 ~([\\d.]+) ms  p99 ~([\\d.]+) ms  max ([\\d.]+) ms");
    private static final Pattern COUNT = Pattern.compile("count (\\d+).*");
    private static final Pattern ROW = Pattern.compile(" *(\\d+) -> (\\d+) *: (\\d+) .*");

    @BeforeEach
    void root() {
        Kernel.requireRoot();
    }

    /** Per section ("" for the only table, else "dport = 80"...): count, p50, p90, p99, max. */
    static Map<String, double[]> summaries(List<String> lines) {
        return perSection(lines, SUMMARY, m -> new double[] {Long.parseLong(m.group(1)), Double.parseDouble(m.group(2)),
                Double.parseDouble(m.group(3)), Double.parseDouble(m.group(4)), Double.parseDouble(m.group(5))});
    }

    /** Per section ("" for the only table, else "dport = 80"...): the count, whatever the unit. */
    static Map<String, Long> counts(List<String> lines) {
        return perSection(lines, COUNT, m -> Long.parseLong(m.group(1)));
    }

    /** Per section, what {@code value} makes of the line in it that {@code line} matches. */
    private static <T> Map<String, T> perSection(List<String> lines, Pattern line,
            java.util.function.Function<Matcher, T> value) {
        Map<String, T> all = new LinkedHashMap<>();
        String section = "";
        for (String l : lines) {
            Matcher m = line.matcher(l);
            if (l.contains(" = ")) {
                section = l;
            } else if (m.matches()) {
                all.put(section, value.apply(m));
            }
        }
        return all;
    }

    /** Per section: the rows with a count, as {low, high, count}. */
    static Map<String, List<long[]>> rows(List<String> lines) {
        Map<String, List<long[]>> all = new LinkedHashMap<>();
        String section = "";
        for (String l : lines) {
            Matcher m = ROW.matcher(l);
            if (l.contains(" = ")) {
                section = l;
            } else if (m.matches() && Long.parseLong(m.group(3)) > 0) {
                all.computeIfAbsent(section, k -> new java.util.ArrayList<>()).add(new long[] {
                        Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))});
            }
        }
        return all;
    }

    /**
     * Five loopback connects (~0.1 ms), one made ~1 s slow and one ~3 s slow by dropping their
     * first SYNs with nftables, seen at once by the event mode and by -H in microseconds and in
     * milliseconds: per port, the count, the row bcc puts the event mode's latency in (in whole
     * units, truncated as bcc does), the percentiles within the bucket error (plus the
     * retransmit timer's slack) and the maximum within 1 % of the event's latency.
     */
    @Test
    void loopbackAndSlowConnectsLandInBccsRows() {
        String table = "tcpconnlat_hist_" + ProcessHandle.current().pid();
        try (Listener fast = new Listener("127.0.0.1"); Listener slow1 = new Listener("127.0.0.1");
                Listener slow3 = new Listener("127.0.0.1");
                Tool tool = Tool.start("tcpconnlat", "-H", "-m", "--by", "dport");
                Tool micros = Tool.start("tcpconnlat", "-H", "--by", "dport");
                Tool events = Tool.start("tcpconnlat")) {
            assertThat(tool.header()).isEqualTo("Tracing TCP connect latency... Hit Ctrl-C to end.");
            // SYNs to slow1 are dropped for 0.3 s (the retransmit ~1 s later passes), to slow3 for
            // 2.5 s: the retransmit at ~3 s passes, whether the kernel backs off exponentially (SYNs
            // at 0, 1, 3 s) or first linearly (6.8+, net.ipv4.tcp_syn_linear_timeouts: 0, 1, 2, 3 s)
            for (Listener l : List.of(slow1, slow3)) {
                Kernel.run("nft", "add table inet " + table + l.port());
                Kernel.run("nft", "add chain inet " + table + l.port() + " out { type filter hook output priority 0 ; }");
                Kernel.run("nft", "add rule inet " + table + l.port() + " out tcp dport " + l.port()
                        + " tcp flags & (syn | ack) == syn drop");
            }
            Process one = Kernel.connect("127.0.0.1", slow1.port());
            Process three = Kernel.connect("127.0.0.1", slow3.port());
            for (int i = 0; i < 5; i++) {
                Kernel.waitFor(Kernel.connect("127.0.0.1", fast.port()));
            }
            TcpConnLatKernelTest.sleep(300);
            Kernel.run("nft", "delete table inet " + table + slow1.port());
            TcpConnLatKernelTest.sleep(2200);
            Kernel.run("nft", "delete table inet " + table + slow3.port());
            assertThat(Kernel.waitFor(one)).isZero();
            assertThat(Kernel.waitFor(three)).isZero();
            // PID COMM IP SADDR DADDR DPORT LAT(ms)
            double oneMs = Double.parseDouble(TcpConnLatKernelTest.cols(
                    events.await(l -> TcpConnLatKernelTest.fromPid(l, one.pid()), TcpConnLatKernelTest.WAIT))[6]);
            double threeMs = Double.parseDouble(TcpConnLatKernelTest.cols(
                    events.await(l -> TcpConnLatKernelTest.fromPid(l, three.pid()), TcpConnLatKernelTest.WAIT))[6]);
            assertThat(tool.interrupt()).isZero();
            assertThat(micros.interrupt()).isZero();
            List<String> millisLines = tool.lines(Duration.ofMillis(300));
            List<String> microsLines = micros.lines(Duration.ofMillis(300));
            for (var c : List.of(List.of(slow1, oneMs), List.of(slow3, threeMs))) {
                String section = "dport = " + ((Listener) c.get(0)).port();
                double ms = (Double) c.get(1);
                for (var t : List.of(List.of(millisLines, (long) ms), List.of(microsLines, (long) (ms * 1000)))) {
                    @SuppressWarnings("unchecked")
                    List<long[]> r = rows((List<String>) t.get(0)).get(section);
                    long v = (Long) t.get(1);
                    assertThat(r).as(section + ": one row with the connect").hasSize(1);
                    assertThat(v).as(section + ": its row holds the event's latency").isBetween(r.get(0)[0], r.get(0)[1]);
                    assertThat(r.get(0)[2]).isEqualTo(1);
                }
                assertThat(summaries(microsLines).get(section)[4]).as(section + ": max, exact").isCloseTo(ms, org.assertj.core.data.Percentage.withPercentage(1));
                assertThat(summaries(millisLines).get(section)[4]).as(section + ": max, exact").isCloseTo(ms, org.assertj.core.data.Percentage.withPercentage(1));
            }
            Map<String, double[]> s = summaries(millisLines);
            assertThat(s.get("dport = " + fast.port())[0]).isEqualTo(5);
            assertThat(s.get("dport = " + fast.port())[4]).as("max of loopback connects, ms").isLessThan(20);
            assertThat(s.get("dport = " + slow1.port())[0]).isEqualTo(1);
            assertThat(s.get("dport = " + slow1.port())[1]).as("~1 s").isBetween(875.0, 1300.0);
            assertThat(s.get("dport = " + slow3.port())[0]).isEqualTo(1);
            assertThat(s.get("dport = " + slow3.port())[4]).as("~3 s").isBetween(2625.0, 3700.0);
        } finally {
            Kernel.bash("for t in $(nft list tables | grep -o '" + table + "[0-9]*'); do nft delete table inet $t; done");
        }
    }

    /** With -i 1 under a storm, the intervals add up to the connects made: none lost or counted twice. */
    @Test
    void intervalsAddUpToTheConnectsMade() throws Exception {
        try (Acceptor server = new Acceptor("127.0.0.1");
                Tool tool = Tool.start("tcpconnlat", "-H", "-i", "1", "-T", "-p",
                        Long.toString(ProcessHandle.current().pid()))) {
            int made = server.storm(2, 15_000);
            TcpConnLatKernelTest.sleep(1500);
            assertThat(tool.interrupt()).isZero();
            List<String> lines = tool.lines(Duration.ofMillis(300));
            long intervals = lines.stream().filter(l -> l.matches("\\d\\d:\\d\\d:\\d\\d")).count();
            long sum = lines.stream().map(COUNT::matcher).filter(Matcher::matches)
                    .mapToLong(m -> Long.parseLong(m.group(1))).sum();
            assertThat(intervals).as("intervals printed: " + lines).isGreaterThan(1);
            assertThat(sum).isEqualTo(made);
            assertThat(tool.stderr()).isEmpty();
        }
    }
}
