package dev.tcpconnlat.cli;

import dev.tcpconnlat.bpf.LibC;
import dev.tcpconnlat.dns.DnsCache;
import dev.tcpconnlat.output.EventPrinter;
import dev.tcpconnlat.output.JsonLines;
import dev.tcpconnlat.output.QueryColumn;
import dev.tcpconnlat.output.TextTable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The options both tools share, with bcc's letters. */
final class CommonOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = {"-t", "--timestamp"}, description = "include a TIME(s) column: seconds since the first event")
    boolean timestamp;

    @Option(names = {"-p", "--pid"}, paramLabel = "PID", description = "trace this process (tgid) only")
    int pid;

    @Option(names = {"-L", "--lport"}, description = "include the local (source) port: LPORT column")
    boolean lport;

    @Option(names = {"-4", "--ipv4"}, description = "trace IPv4 sockets only")
    boolean ipv4;

    @Option(names = {"-6", "--ipv6"}, description = "trace IPv6 sockets only")
    boolean ipv6;

    @Option(names = {"-j", "--json"}, description = "print one JSON object per line, with every field")
    boolean json;

    @Option(names = {"-d", "--dns"},
            description = "add a QUERY column: the DNS name whose answer held the destination address")
    boolean dns;

    @Option(names = {"-v", "--verbose"},
            description = "print libbpf's log on stderr (and, with -d, how many DNS responses were unreadable)")
    boolean verbose;

    /** Validates and returns the address family filter: AF_INET, AF_INET6 or 0. */
    int family() {
        if (ipv4 && ipv6) {
            throw usage("-4 and -6 exclude each other");
        }
        if (pid < 0) {
            throw usage("--pid must be a positive process id, not " + pid);
        }
        return ipv4 ? LibC.AF_INET : ipv6 ? LibC.AF_INET6 : 0;
    }

    /** The DNS cache behind -d, or null. */
    DnsCache dnsCache() {
        return dns ? new DnsCache() : null;
    }

    /** The -t/-L/-d table or the JSON lines. */
    EventPrinter printer(TextTable.Tool tool, DnsCache cache, boolean uid, boolean lportColumn, boolean result) {
        QueryColumn query = cache == null ? null : new QueryColumn(cache);
        return json ? new JsonLines(query) : new TextTable(tool, timestamp, uid, lportColumn, result, query);
    }

    ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
