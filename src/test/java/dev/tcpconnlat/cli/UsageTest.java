package dev.tcpconnlat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad arguments: one line on stderr, exit status 2, and the kernel is never touched. */
class UsageTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "tcpconnlat -x|Unknown option: '-x'",
        "tcpconnlat -4 -6|-4 and -6 exclude each other",
        "tcpconnlat -p abc|'abc' is not an int",
        "tcpconnlat -p -5|--pid must be a positive process id",
        "tcpconnlat -p 0|--pid must be a positive process id, not 0",
        "tcpconnlat -p 2147483647|is above the largest process id",
        "tcpconnlat --cgroupmap /x|Unknown option: '--cgroupmap'",
        "tcpconnlat 5d|MIN_MS must be a decimal number of milliseconds",
        "tcpconnlat 0x1p3|MIN_MS must be a decimal number of milliseconds",
        "tcpconnlat 1e3|MIN_MS must be a decimal number of milliseconds",
        "tcpconnlat -b 3M|--buffer-size takes a power of two from 4K to 1G",
        "tcpconnlat -b 2K|--buffer-size takes a power of two from 4K to 1G",
        "tcpconnlat -b 2G|--buffer-size takes a power of two from 4K to 1G",
        "tcpconnlat -b 64X|--buffer-size takes a power of two from 4K to 1G",
        "tcpconnlat -- -1|MIN_MS must be a decimal number of milliseconds",
        "tcpconnlat NaN|MIN_MS must be a decimal number of milliseconds",
        "tcpconnlat 1 2|Unmatched argument",
        "tcpconnlat -i 5|-i goes with -H",
        "tcpconnlat --by dport|--by goes with -H",
        "tcpconnlat -m|-m goes with -H",
        "tcpconnlat -H --by host|--by takes unit, comm, daddr, dport, peer or retransmits, not 'host'",
        "tcpconnlat -H --by pod_uid|--by takes unit, comm, daddr, dport, peer or retransmits, not 'pod_uid'",
        "tcpconnlat -H -r|it cannot be used with -r",
        "tcpconnlat -H -i 0|--interval must be a number of seconds >= 1",
        "tcpconnlat -H -i x|'x' is not an int",
        "tcpconnlat -H -T|-T stamps each interval: it needs -i",
        "tcpconnlat -H -j|it cannot be used with -j",
        "tcpconnlat -H -L|it cannot be used with -L",
        "tcpconnect -H|Unknown option: '-H'",
        "tcpconnlat-exporter --labels unit,host|--labels takes unit, cgroup, container_id, pod_uid, namespace, pod, container, comm, daddr, dport or peer, comma-separated, not 'host'",
        "tcpconnlat-exporter --labels unit,unit|--labels unit is given twice",
        "tcpconnlat-exporter --cidrs 10.0.0.0/8=x|--cidrs groups the daddr label: add daddr to --labels",
        "tcpconnlat-exporter --labels daddr --cidrs 10.0.0.0/33=x|--cidrs the prefix length of 10.0.0.0 is 0 to 32, not '33'",
        "tcpconnlat -H --cidrs 10.0.0.0/8=x|--cidrs groups the daddr label: add --by daddr",
        "tcpconnlat --cidrs 10.0.0.0/8=x|--cidrs goes with -H",
        "tcpconnlat-exporter --peers.max 10|--peers.max bounds the peer label: add peer to --labels",
        "tcpconnlat-exporter --labels peer --peers.max 0|--peers.max takes a number of names from 1 to 100000, not '0'",
        "tcpconnlat-exporter --labels peer --peers.max x|--peers.max takes a number of names from 1 to 100000, not 'x'",
        "tcpconnlat -H --by daddr --peers.max 10|--peers.max bounds the peer label: add --by peer",
        "tcpconnlat --peers.max 10|--peers.max goes with -H",
        "tcpconnlat-exporter --series.max 0|--series.max takes a number of keys from 1 to 1000000",
        "tcpconnlat-exporter --series.max 10k|--series.max takes a number of keys",
        "tcpconnlat-exporter --series.grace 5|--series.grace takes a duration such as 30s, 5m, 1h30m or 2w (at most 10y), not '5'",
        "tcpconnlat-exporter --series.grace 5m1h|--series.grace takes a duration",
        "tcpconnlat-exporter --series.grace 1y1y|--series.grace takes a duration",
        "tcpconnlat-exporter --series.grace 11y|--series.grace takes a duration",
        "tcpconnlat-exporter --series.grace 9999y|--series.grace takes a duration",
        "tcpconnlat-exporter --web.telemetry-path //metrics|--web.telemetry-path takes a path such as /metrics",
        "tcpconnlat-exporter --web.telemetry-path /m?x=1|--web.telemetry-path takes a path such as /metrics",
        "tcpconnlat-exporter --web.telemetry-path /%41|--web.telemetry-path takes a path such as /metrics",
        "tcpconnlat-exporter --web.telemetry-path /metrics/|--web.telemetry-path takes a path such as /metrics",
        "tcpconnlat-exporter --kubelet.log-dir /var/log|--kubelet.log-dir names the Kubernetes labels: add namespace, pod or container to --labels",
        "tcpconnlat-exporter --labels pod --kubelet.log-dir /nonexistent|--kubelet.log-dir takes the kubelet log directory, which holds pods/ and containers/ (e.g. /var/log), not '/nonexistent': no such directory",
        "tcpconnlat-exporter --labels unit,container --kubelet.log-dir /etc/hostname|--kubelet.log-dir takes the kubelet log directory, which holds pods/ and containers/ (e.g. /var/log), not '/etc/hostname': not a directory",
        "tcpconnlat-exporter --labels daddr --cidrs 10.1.2.3/8=x|--cidrs 10.1.2.3/8 has host bits set: the prefix is 10.0.0.0/8",
        "tcpconnlat-exporter --labels daddr --cidrs fd00::1/8=x|--cidrs fd00::1/8 has host bits set: the prefix is fd00:0:0:0:0:0:0:0/8",
        "tcpconnlat-exporter --labels daddr --cidrs 10.0.0.0/8=a,10.0.0.0/8=b|--cidrs 10.0.0.0/8 is given twice",
        "tcpconnlat -H --by daddr --cidrs @/nonexistent|--cidrs cannot read /nonexistent: no such file",
        "tcpconnlat -H --by daddr --cidrs @/|--cidrs cannot read /: ",
        "tcpconnlat-exporter --series.grace 5m-1s|--series.grace takes a duration",
        "tcpconnlat-exporter --web.telemetry-path metrics|--web.telemetry-path takes a path such as /metrics",
        "tcpconnlat-exporter --web.telemetry-path /|--web.telemetry-path takes a path such as /metrics",
        "tcpconnlat-exporter --labels unit,UNIT|--labels takes unit, cgroup, container_id, pod_uid, namespace, pod, container, comm, daddr, dport or peer, comma-separated, not 'UNIT'",
        "tcpconnlat-exporter --labels unit,,dport|--labels takes unit, cgroup, container_id, pod_uid, namespace, pod, container, comm, daddr, dport or peer, comma-separated, not ''",
        "tcpconnlat-exporter --web.listen-address 10417|--web.listen-address takes [HOST]:PORT",
        "tcpconnlat-exporter --web.listen-address :99999|--web.listen-address takes [HOST]:PORT",
        "tcpconnlat-exporter --buckets 1,0.5|--buckets takes increasing decimal numbers of seconds",
        "tcpconnlat-exporter --buckets 1e3|--buckets takes increasing decimal numbers of seconds",
        "tcpconnlat-exporter -p 5|Unknown options: '-p', '5'",
        "tcpconnect -P 0|--port: 0 is not a port",
        "tcpconnect -P 80,x|--port takes ports from 1 to 65535",
        "tcpconnect -P 70000|--port: 70000 is not a port",
        "tcpconnect -c --json|it cannot be used with --json",
        "tcpconnect -u -1|--uid must be a user id",
        "tcpconnect -c -d|it cannot be used with -d",
    })
    void badArgumentsAreOneLineAndExitTwo(String args, String message) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args.split(" "), new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = err.toString(StandardCharsets.UTF_8);
        assertThat(code).isEqualTo(2);
        assertThat(text.lines()).hasSize(1);
        assertThat(text).startsWith(args.split(" ")[0] + ": error: ").contains(message);
    }

    /** Every missing capability is named at once; CAP_SYS_ADMIN stands for CAP_BPF and CAP_PERFMON only. */
    @org.junit.jupiter.api.Test
    void missingCapabilitiesAreNamedAtOnce() {
        java.math.BigInteger none = java.math.BigInteger.ZERO;
        java.math.BigInteger bpfPerfmon = none.setBit(39).setBit(38);
        assertThat(Preflight.missingCapability(none, true)).isEqualTo("CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN");
        assertThat(Preflight.missingCapability(none, false)).isEqualTo("CAP_BPF and CAP_PERFMON");
        assertThat(Preflight.missingCapability(bpfPerfmon, true)).isEqualTo("CAP_NET_ADMIN");
        assertThat(Preflight.missingCapability(none.setBit(39), false)).isEqualTo("CAP_PERFMON");
        assertThat(Preflight.missingCapability(none.setBit(21), true)).isEqualTo("CAP_NET_ADMIN");
        assertThat(Preflight.missingCapability(bpfPerfmon.setBit(12), true)).isNull();
    }

    /** The floor is the oldest kernel measured (scripts/kernels), whatever the distribution's suffix. */
    @org.junit.jupiter.api.Test
    void kernelFloorIsFiveTen() {
        assertThat(Preflight.tooOld("4.19.0-27-amd64")).isTrue();
        assertThat(Preflight.tooOld("5.9.16")).isTrue();
        assertThat(Preflight.tooOld("5.10.0-32-amd64")).isFalse();
        assertThat(Preflight.tooOld("5.14.0-427.el9.x86_64")).isFalse();
        assertThat(Preflight.tooOld("6.1.0-50-amd64")).isFalse();
        assertThat(Preflight.tooOld("6.18.44-fc-v1294")).isFalse();
    }

    /** --cidrs @FILE is the option's own file of prefixes (one per line), not picocli's argument file. */
    @org.junit.jupiter.api.Test
    void cidrsFromAFileWithASpace(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("groups");
        java.nio.file.Files.writeString(file, "# groups\n10.0.0.0/8=internal\n192.168.1.7/16=lan\n");
        for (String tool : List.of("tcpconnlat-exporter --labels daddr", "tcpconnlat -H --by daddr")) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            String[] args = (tool + " --cidrs @" + file).split(" ");
            assertThat(Main.run(args, new PrintStream(err, true, StandardCharsets.UTF_8))).isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8)).hasLineCount(1)
                    .contains("--cidrs 192.168.1.7/16 has host bits set: the prefix is 192.168.0.0/16");
        }
    }

    /** Every description formats (picocli formats them: a bare '%' printed "[picocli WARN] Could not format"). */
    @org.junit.jupiter.api.Test
    void helpFormatsWithoutWarnings() {
        PrintStream saved = System.err;
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
        PrintStream out = System.out;
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            for (String tool : List.of("tcpconnlat", "tcpconnect", "tcpconnlat-exporter")) {
                assertThat(Main.run(new String[] {tool, "--help"}, System.err)).isZero();
            }
        } finally {
            System.setErr(saved);
            System.setOut(out);
        }
        assertThat(warnings.toString(StandardCharsets.UTF_8)).doesNotContain("WARN").doesNotContain("Could not format");
    }
}
