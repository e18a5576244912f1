package dev.tcpconnlat.cli;

import dev.tcpconnlat.bpf.LibC;
import dev.tcpconnlat.dns.DnsCache;
import dev.tcpconnlat.output.EventPrinter;
import dev.tcpconnlat.output.JsonLines;
import dev.tcpconnlat.output.QueryColumn;
import dev.tcpconnlat.output.TextTable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The options both tools share, with bcc's letters. The commands are built with picocli's
 * programmatic API: annotations would cost ~100 ms of start-up (reflection, annotation proxies).
 */
record CommonOptions(ParseResult parsed, boolean timestamp, int pid, boolean lport, boolean ipv4, boolean ipv6,
        boolean json, boolean dns, boolean verbose) {

    /** A command named {@code name} with -h, -V and the shared options. */
    static CommandSpec command(String name, String description, String... examples) {
        CommandSpec spec = CommandSpec.create().name(name).mixinStandardHelpOptions(true)
                .version(name + " " + Version.get());
        spec.usageMessage().description(description).footer(examples);
        flag(spec, "include a TIME(s) column: seconds since the first event", "-t", "--timestamp");
        spec.addOption(OptionSpec.builder("-p", "--pid").paramLabel("PID").type(int.class)
                .description("trace this process (tgid) only").build());
        flag(spec, "include the local (source) port: LPORT column", "-L", "--lport");
        flag(spec, "trace IPv4 sockets only", "-4", "--ipv4");
        flag(spec, "trace IPv6 sockets only", "-6", "--ipv6");
        flag(spec, "add a QUERY column: the DNS name whose answer held the destination address", "-d", "--dns");
        flag(spec, "print one JSON object per line, with every field", "-j", "--json");
        flag(spec, "print libbpf's log on stderr (and, with -d, how many DNS responses were unreadable)",
                "-v", "--verbose");
        return spec;
    }

    static void flag(CommandSpec spec, String description, String... names) {
        spec.addOption(OptionSpec.builder(names).description(description).build());
    }

    static CommonOptions of(ParseResult p) {
        CommonOptions o = new CommonOptions(p, p.hasMatchedOption("-t"), p.matchedOptionValue("-p", 0),
                p.hasMatchedOption("-L"), p.hasMatchedOption("-4"), p.hasMatchedOption("-6"),
                p.hasMatchedOption("-j"), p.hasMatchedOption("-d"), p.hasMatchedOption("-v"));
        if (o.ipv4 && o.ipv6) {
            throw o.usage("-4 and -6 exclude each other");
        }
        if (o.pid < 0) {
            throw o.usage("--pid must be a positive process id, not " + o.pid);
        }
        return o;
    }

    /** The address family filter: AF_INET, AF_INET6 or 0. */
    int family() {
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
        return new ParameterException(parsed.commandSpec().commandLine(), message);
    }
}
