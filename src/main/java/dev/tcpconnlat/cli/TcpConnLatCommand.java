package dev.tcpconnlat.cli;

import dev.tcpconnlat.dns.DnsCache;
import dev.tcpconnlat.output.EventPrinter;
import dev.tcpconnlat.output.TextTable;
import dev.tcpconnlat.trace.TraceConfig;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "tcpconnlat", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Trace active TCP connects and show the time from SYN to the answer.",
        footer = {"", "Examples:",
                "  tcpconnlat            # every connect answered, with its latency",
                "  tcpconnlat 1          # only connects that took 1 ms or longer",
                "  tcpconnlat -e         # also connects that failed without an answer",
                "  tcpconnlat -tL -p 181 # timestamps and local ports, process 181 only",
                "  tcpconnlat -d         # with the DNS name each address came from",
                "  tcpconnlat --json     # JSON lines"})
final class TcpConnLatCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = {"-e", "--errors"},
            description = "also list connects that failed without an answer (timeout, unreachable, aborted) "
                    + "and add a RESULT column")
    boolean errors;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MIN_MS",
            description = "show only connects at least this slow, in milliseconds (e.g. 0.5)")
    Double minMs;

    @Override
    public Integer call() throws Exception {
        int family = common.family();
        double min = minMs == null ? 0 : minMs;
        if (!(min >= 0) || Double.isInfinite(min)) {
            throw common.usage("MIN_MS must be a number of milliseconds >= 0, not " + minMs);
        }
        TraceConfig config = new TraceConfig(TraceConfig.Mode.LATENCY, common.pid, -1, family,
                Math.round(min * 1_000_000), errors, List.of(), null, null, false, common.dns,
                TraceConfig.DEFAULT_WAKEUP_BYTES);
        DnsCache dns = common.dnsCache();
        EventPrinter printer = common.printer(TextTable.Tool.TCPCONNLAT, dns, false, common.lport, errors);
        return new Session("tcpconnlat", System.err).trace(config, common.verbose, printer, dns);
    }
}
