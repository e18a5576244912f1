package dev.tcpconnlat.cli;

import dev.tcpconnlat.dns.DnsCache;
import dev.tcpconnlat.output.EventPrinter;
import dev.tcpconnlat.output.TextTable;
import dev.tcpconnlat.trace.TraceConfig;
import java.math.BigDecimal;
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
                "  tcpconnlat --json     # JSON lines");
        CommonOptions.flag(spec, "also list connects that failed without an answer (timeout, unreachable, aborted) "
                + "and add a RESULT column", "-e", "--errors");
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
        TraceConfig config = common.configure(TraceConfig.builder(TraceConfig.Mode.LATENCY))
                .minLatencyNs(new BigDecimal(min).movePointRight(6).longValueExact())
                .reportFailures(errors)
                .build();
        DnsCache dns = common.dnsCache();
        EventPrinter printer = common.printer(TextTable.Tool.TCPCONNLAT, dns, false, common.lport(), errors);
        return new Session("tcpconnlat", System.err).trace(config, common.verbose(), printer, dns);
    }
}
