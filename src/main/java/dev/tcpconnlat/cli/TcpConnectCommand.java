package dev.tcpconnlat.cli;

import dev.tcpconnlat.dns.DnsCache;
import dev.tcpconnlat.output.CountTable;
import dev.tcpconnlat.output.EventPrinter;
import dev.tcpconnlat.output.TextTable;
import dev.tcpconnlat.trace.TraceConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "tcpconnect", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Trace active TCP connect attempts as they are made.",
        footer = {"", "Examples:",
                "  tcpconnect            # every connect attempt",
                "  tcpconnect -t         # with timestamps",
                "  tcpconnect -P 80,443  # only to ports 80 and 443",
                "  tcpconnect -U -u 1000 # with UIDs, user 1000 only",
                "  tcpconnect -c         # count per source, destination and port until Ctrl-C",
                "  tcpconnect -d         # with the DNS name each address came from",
                "  tcpconnect --cgroupmap /sys/fs/bpf/test01  # only cgroups in this pinned map",
                "  tcpconnect --mntnsmap /sys/fs/bpf/mnt_ns   # only mount namespaces in this pinned map"})
final class TcpConnectCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = {"-P", "--port"}, paramLabel = "PORTS",
            description = "comma-separated destination ports to trace, e.g. 80,443")
    String ports;

    @Option(names = {"-U", "--print-uid"}, description = "include a UID column")
    boolean printUid;

    @Option(names = {"-u", "--uid"}, paramLabel = "UID", description = "trace this user only")
    Long uid;

    @Option(names = {"-s", "--sport"},
            description = "show the source port (as -L); with -c, count per source port too")
    boolean sport;

    @Option(names = {"-c", "--count"},
            description = "count connects per source address, destination address and port, in the kernel; "
                    + "print the table on Ctrl-C")
    boolean count;

    @Option(names = "--cgroupmap", paramLabel = "PATH",
            description = "trace only cgroups whose v2 id is a key of this pinned BPF hash map")
    String cgroupMap;

    @Option(names = "--mntnsmap", paramLabel = "PATH",
            description = "trace only mount namespaces whose inode is a key of this pinned BPF hash map")
    String mountNsMap;

    @Override
    public Integer call() throws Exception {
        int family = common.family();
        if (uid != null && (uid < 0 || uid > 0xfffffffeL)) {
            throw common.usage("--uid must be a user id from 0 to 4294967294, not " + uid);
        }
        if (count && common.json) {
            throw common.usage("-c prints one table at the end, not a line per connect: it cannot be used with --json");
        }
        if (count && common.timestamp) {
            throw common.usage("-c counts, so there is no time per connect: it cannot be used with -t");
        }
        if (count && common.dns) {
            throw common.usage("-c counts per address, it prints no line per connect to add a QUERY to: "
                    + "it cannot be used with -d");
        }
        if (count && printUid) {
            throw common.usage("-c counts per address and port, not per user: it cannot be used with -U");
        }
        TraceConfig config = new TraceConfig(count ? TraceConfig.Mode.COUNT : TraceConfig.Mode.ATTEMPTS,
                common.pid, uid == null ? -1 : uid, family, 0, false, parsePorts(), cgroupMap, mountNsMap,
                count && sport, common.dns, TraceConfig.DEFAULT_WAKEUP_BYTES);
        Session session = new Session("tcpconnect", System.err);
        if (count) {
            return session.count(config, common.verbose, new CountTable(sport));
        }
        DnsCache dns = common.dnsCache();
        EventPrinter printer = common.printer(TextTable.Tool.TCPCONNECT, dns, printUid, common.lport || sport, false);
        return session.trace(config, common.verbose, printer, dns);
    }

    private List<Integer> parsePorts() {
        List<Integer> list = new ArrayList<>();
        if (ports == null) {
            return list;
        }
        for (String p : ports.split(",", -1)) {
            int port;
            try {
                port = Integer.parseInt(p.trim());
            } catch (NumberFormatException e) {
                throw common.usage("--port takes ports from 1 to 65535 separated by commas, not '" + ports + "'");
            }
            if (port < 1 || port > 65535) {
                throw common.usage("--port: " + port + " is not a port (1-65535)");
            }
            list.add(port);
        }
        return list;
    }
}
