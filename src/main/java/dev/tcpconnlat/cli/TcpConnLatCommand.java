package dev.tcpconnlat.cli;

import dev.tcpconnlat.dns.DnsCache;
import dev.tcpconnlat.event.Buckets;
import dev.tcpconnlat.output.EventPrinter;
import dev.tcpconnlat.output.TextTable;
import dev.tcpconnlat.trace.TraceConfig;
import dev.tcpconnlat.cgroup.CgroupNames;
import dev.tcpconnlat.trace.Label;
import dev.tcpconnlat.histogram.HistogramReport;
import dev.tcpconnlat.trace.CgroupV2;
import java.math.BigDecimal;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Model.OptionSpec;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/** tcpconnlat: connects answered, with the time from SYN to the answer. */
final class TcpConnLatCommand {
    private TcpConnLatCommand() {}

    static CommandSpec spec() {
        CommandSpec spec = CommonOptions.command("tcpconnlat",
                "Trace active TCP connects and show the time from SYN to the answer.",
                "", "Examples:",
                "  tcpconnlat            # every connect answered, with its latency",
                "  tcpconnlat 1          # only connects that took 1 ms or longer",
                "  tcpconnlat -e         # also connects that failed without an answer",
                "  tcpconnlat -tL -p 181 # timestamps and local ports, process 181 only",
                "  tcpconnlat -d         # with the DNS name each address came from",
                "  tcpconnlat --json     # JSON lines",
                "  tcpconnlat -H         # a latency histogram (in the kernel), printed on Ctrl-C",
                "  tcpconnlat -H -i 5 -T --by dport  # one histogram per port, every 5 s, with times");
        CommonOptions.flag(spec, "also list connects that failed without an answer (timeout, unreachable, aborted) "
                + "and add a RESULT column", "-e", "--errors");
        CommonOptions.flag(spec, "add a RETR column: SYNs retransmitted before the answer (a lost SYN costs ~1 s)",
                "-r", "--retransmits");
        CommonOptions.flag(spec, "aggregate latencies into histograms in the kernel and print them (bcc's "
                + "biolatency format) on Ctrl-C or every -i seconds; nothing per connect reaches user space. "
                + "Each table ends with the count, estimates of p50, p90 and p99 (~, within 10 percent) and the exact max",
                "-H", "--histogram");
        spec.addOption(OptionSpec.builder("-i", "--interval").paramLabel("SECONDS").type(int.class)
                .description("with -H: print (and restart) the histograms every SECONDS seconds").build());
        CommonOptions.flag(spec, "with -H: print the time (HH:MM:SS) before each interval", "-T", "--interval-timestamp");
        CommonOptions.flag(spec, "with -H: a table of milliseconds instead of microseconds", "-m", "--milliseconds");
        spec.addOption(OptionSpec.builder("--by").paramLabel("LABEL").type(String.class)
                .description("with -H: one histogram per " + String.join("; ", Label.BY.stream()
                        .map(l -> l.labelName() + " (" + l.help() + ")").toList())).build());
        spec.addOption(OptionSpec.builder("--cidrs").paramLabel("GROUPS").type(String.class)
                .description("with -H --by daddr: one histogram per named prefix (the longest that matches; "
                        + "\"other\" when none), e.g. 10.0.0.0/8=internal,192.168.0.0/16=lan, or @FILE").build());
        CommonOptions.peersMaxOption(spec, "with -H --by peer");
        spec.addPositional(PositionalParamSpec.builder().index("0").arity("0..1").paramLabel("MIN_MS")
                .type(String.class).description("show only connects at least this slow, in milliseconds (e.g. 0.5)")
                .build());
        return spec;
    }

    /** A decimal number of milliseconds, at most a day: 5, 0.5, .5 (not 5d, 1e3 or 0x1p3). */
    private static final Pattern MIN_MS = Pattern.compile("(\\d{1,8}(\\.\\d{0,6})?|\\.\\d{1,6})");

    static int run(ParseResult parsed) throws Exception {
        CommonOptions common = CommonOptions.of(parsed);
        boolean errors = parsed.hasMatchedOption("-e");
        String min = parsed.matchedPositionalValue(0, "0");
        if (!MIN_MS.matcher(min).matches() || new BigDecimal(min).compareTo(BigDecimal.valueOf(86_400_000)) > 0) {
            throw common.usage("MIN_MS must be a decimal number of milliseconds from 0 to 86400000"
                    + " (at most 6 decimals), not '" + min + "'");
        }
        long minNs = new BigDecimal(min).movePointRight(6).longValueExact();
        Run run = new Run("tcpconnlat", System.err);
        if (parsed.hasMatchedOption("-H")) {
            return histogram(parsed, common, minNs, errors, run);
        }
        for (String option : List.of("-i", "-T", "-m", "--by", "--cidrs", "--peers.max")) {
            if (parsed.hasMatchedOption(option)) {
                throw common.usage(option + " goes with -H (histograms)");
            }
        }
        TraceConfig config = common.configure(TraceConfig.builder(TraceConfig.Mode.LATENCY))
                .minLatencyNs(minNs)
                .reportFailures(errors)
                .build();
        DnsCache dns = common.dnsCache();
        EventPrinter printer = common.printer(TextTable.Tool.TCPCONNLAT, dns, false, common.lport(), errors,
                parsed.hasMatchedOption("-r"));
        return EventsMode.run(run, config, printer, dns);
    }

    private static int histogram(ParseResult parsed, CommonOptions common, long minNs, boolean errors, Run run)
            throws Exception {
        for (String option : List.of("-j", "-t", "-L", "-d", "-r")) {
            if (parsed.hasMatchedOption(option)) {
                throw common.usage("-H prints histograms, not a line per connect: it cannot be used with " + option);
            }
        }
        int interval = parsed.matchedOptionValue("-i", 0);
        if (parsed.hasMatchedOption("-i") && interval < 1) {
            throw common.usage("--interval must be a number of seconds >= 1, not " + interval);
        }
        if (parsed.hasMatchedOption("-T") && interval == 0) {
            throw common.usage("-T stamps each interval: it needs -i");
        }
        String byName = parsed.matchedOptionValue("--by", null);
        Label by = null;
        if (byName != null) {
            try {
                by = Label.parse(byName, Label.BY);
            } catch (IllegalArgumentException e) {
                throw common.usage("--by " + e.getMessage());
            }
        }
        CgroupNames cgroups = by != null && by.fromCgroup()
                ? new CgroupNames(CgroupV2.root(), null, 0) : null; // -H --by unit: no Kubernetes label
        TraceConfig config = common.configure(TraceConfig.builder(TraceConfig.Mode.HISTOGRAM))
                .minLatencyNs(minNs)
                .reportFailures(errors)
                .labels(by == null ? Set.of() : Set.of(by))
                .cidrs(CommonOptions.cidrs(parsed, by == Label.DADDR, "add --by daddr"))
                .peers(CommonOptions.peers(parsed, by == Label.PEER, "add --by peer"))
                .cgroupNames(cgroups)
                .buckets(Buckets.log2(parsed.hasMatchedOption("-m") ? 1_000_000 : 1_000))
                .build();
        HistogramReport report = new HistogramReport(by, errors, cgroups);
        return HistogramMode.run(run, config, report, interval, parsed.hasMatchedOption("-T"));
    }
}
