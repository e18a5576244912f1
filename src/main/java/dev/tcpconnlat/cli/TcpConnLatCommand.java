package dev.tcpconnlat.cli;

import dev.tcpconnlat.dns.DnsCache;
import dev.tcpconnlat.output.EventPrinter;
import dev.tcpconnlat.output.TextTable;
import dev.tcpconnlat.trace.TraceConfig;
import java.io.IOException;
import java.util.List;
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
                .type(double.class).description("show only connects at least this slow, in milliseconds (e.g. 0.5)")
                .build());
        return spec;
    }

    static int run(ParseResult parsed) throws IOException {
        CommonOptions common = CommonOptions.of(parsed);
        boolean errors = parsed.hasMatchedOption("-e");
        double min = parsed.matchedPositionalValue(0, 0.0);
        if (!(min >= 0) || Double.isInfinite(min)) {
            throw common.usage("MIN_MS must be a number of milliseconds >= 0, not " + min);
        }
        TraceConfig config = new TraceConfig(TraceConfig.Mode.LATENCY, common.pid(), -1, common.family(),
                Math.round(min * 1_000_000), errors, List.of(), null, null, false, common.dns(),
                TraceConfig.DEFAULT_WAKEUP_BYTES);
        DnsCache dns = common.dnsCache();
        EventPrinter printer = common.printer(TextTable.Tool.TCPCONNLAT, dns, false, common.lport(), errors);
        return new Session("tcpconnlat", System.err).trace(config, common.verbose(), printer, dns);
    }
}
