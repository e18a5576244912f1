package dev.tcpconnlat.cli;

import dev.tcpconnlat.dns.DnsCache;
import dev.tcpconnlat.output.CountTable;
import dev.tcpconnlat.output.EventPrinter;
import dev.tcpconnlat.output.TextTable;
import dev.tcpconnlat.trace.TraceConfig;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/** tcpconnect: connect attempts as they are made, or counted in the kernel. */
final class TcpConnectCommand {
    private TcpConnectCommand() {}

    static CommandSpec spec() {
        CommandSpec spec = CommonOptions.command("tcpconnect", "Trace active TCP connect attempts as they are made.",
                "", "Examples:",
                "  tcpconnect            # every connect attempt",
                "  tcpconnect -t         # with timestamps",
                "  tcpconnect -P 80,443  # only to ports 80 and 443",
                "  tcpconnect -U -u 1000 # with UIDs, user 1000 only",
                "  tcpconnect -c         # count per source, destination and port until Ctrl-C",
                "  tcpconnect -d         # with the DNS name each address came from",
                "  tcpconnect --cgroupmap /sys/fs/bpf/test01  # only cgroups in this pinned map",
                "  tcpconnect --mntnsmap /sys/fs/bpf/mnt_ns   # only mount namespaces in this pinned map");
        spec.addOption(OptionSpec.builder("-P", "--port").paramLabel("PORTS").type(List.class)
                .auxiliaryTypes(String.class).splitRegex(",")
                .description("comma-separated destination ports to trace, e.g. 80,443 (may be repeated)").build());
        CommonOptions.flag(spec, "include a UID column", "-U", "--print-uid");
        spec.addOption(OptionSpec.builder("-u", "--uid").paramLabel("UID").type(long.class)
                .description("trace this user only").build());
        CommonOptions.flag(spec, "show the source port (as -L); with -c, count per source port too", "-s", "--sport");
        CommonOptions.flag(spec, "count connects per source address, destination address and port, in the kernel; "
                + "print the table on Ctrl-C", "-c", "--count");
        spec.addOption(OptionSpec.builder("--cgroupmap").paramLabel("PATH").type(String.class)
                .description("trace only cgroups whose v2 id is a key of this pinned BPF hash map").build());
        spec.addOption(OptionSpec.builder("--mntnsmap").paramLabel("PATH").type(String.class)
                .description("trace only mount namespaces whose inode is a key of this pinned BPF hash map").build());
        return spec;
    }

    static int run(ParseResult parsed) throws Exception {
        CommonOptions common = CommonOptions.of(parsed);
        boolean count = parsed.hasMatchedOption("-c");
        boolean sport = parsed.hasMatchedOption("-s");
        boolean printUid = parsed.hasMatchedOption("-U");
        long uid = parsed.matchedOptionValue("-u", -1L);
        if (parsed.hasMatchedOption("-u") && (uid < 0 || uid > 0xfffffffeL)) {
            throw common.usage("--uid must be a user id from 0 to 4294967294, not " + uid);
        }
        if (count) {
            String conflict = common.json() ? "--json" : common.timestamp() ? "-t" : printUid ? "-U"
                    : common.dns() ? "-d" : null;
            if (conflict != null) {
                throw common.usage("-c prints one table of counts at the end, not a line per connect: "
                        + "it cannot be used with " + conflict);
            }
        }
        TraceConfig config = common.configure(TraceConfig.builder(count ? TraceConfig.Mode.COUNT : TraceConfig.Mode.ATTEMPTS))
                .uid(uid)
                .dports(ports(common, parsed.matchedOptionValue("-P", List.of())))
                .cgroupMap(parsed.matchedOptionValue("--cgroupmap", null))
                .mountNsMap(parsed.matchedOptionValue("--mntnsmap", null))
                .countByLport(count && sport)
                .build();
        Run run = new Run("tcpconnect", System.err);
        if (count) {
            return CountMode.run(run, config, new CountTable(sport));
        }
        DnsCache dns = common.dnsCache();
        EventPrinter printer = common.printer(TextTable.Tool.TCPCONNECT, dns, printUid, common.lport() || sport, false, false);
        return EventsMode.run(run, config, printer, dns);
    }

    private static List<Integer> ports(CommonOptions common, List<String> ports) {
        List<Integer> list = new ArrayList<>();
        for (String p : ports) {
            int port;
            try {
                port = Integer.parseInt(p.trim());
            } catch (NumberFormatException e) {
                throw common.usage("--port takes ports from 1 to 65535 separated by commas, not '" + p + "'");
            }
            if (port < 1 || port > 65535) {
                throw common.usage("--port: " + port + " is not a port (1-65535)");
            }
            list.add(port);
        }
        return list;
    }
}
