package dev.tcpconnlat.cli;

import dev.tcpconnlat.bpf.LibC;
import dev.tcpconnlat.cgroup.CgroupNames;
import dev.tcpconnlat.cgroup.KubeletLogs;
import dev.tcpconnlat.trace.CgroupV2;
import dev.tcpconnlat.trace.Cidrs;
import dev.tcpconnlat.trace.Peers;
import dev.tcpconnlat.trace.TraceConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
        boolean json, boolean dns, boolean verbose, int ringBytes, CgroupNames cgroupNames) {
    /** Where the Kubernetes names in JSON lines come from. */
    static final Path KUBELET_LOG_DIR = Path.of("/var/log");

    /** A command named {@code name} with -h, -V and the shared options. */
    static CommandSpec command(String name, String description, String... examples) {
        CommandSpec spec = withHelp(name);
        spec.usageMessage().description(description).footer(examples);
        flag(spec, "include a TIME(s) column: seconds since the first event", "-t", "--timestamp");
        spec.addOption(OptionSpec.builder("-p", "--pid").paramLabel("PID").type(int.class)
                .description("trace this process (tgid) only").build());
        flag(spec, "include the local (source) port: LPORT column", "-L", "--lport");
        flag(spec, "trace IPv4 sockets only", "-4", "--ipv4");
        flag(spec, "trace IPv6 sockets only", "-6", "--ipv6");
        flag(spec, "add a QUERY column: the DNS name whose answer held the destination address", "-d", "--dns");
        flag(spec, "print one JSON object per line, with every field", "-j", "--json");
        spec.addOption(OptionSpec.builder("-b", "--buffer-size").paramLabel("SIZE").type(String.class)
                .description("size of the ring buffer of events: a power of two from 4K to 1G, e.g. 64M "
                        + "(default 16M; it is kernel memory that this process maps, see README)").build());
        flag(spec, "print libbpf's log on stderr", "-v", "--verbose");
        return spec;
    }

    /**
     * A command with -h and -V, as picocli's mixinStandardHelpOptions gives them, without its
     * reflection: that mixin is an annotated class, read (annotation proxies and all) at start-up.
     */
    static CommandSpec withHelp(String name) {
        CommandSpec spec = CommandSpec.create().name(name).version(name + " " + Version.get());
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true)
                .description("Show this help message and exit.").build());
        spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true)
                .description("Print version information and exit.").build());
        return spec;
    }

    static void flag(CommandSpec spec, String description, String... names) {
        spec.addOption(OptionSpec.builder(names).description(description).build());
    }

    static CommonOptions of(ParseResult p) {
        CommonOptions o = new CommonOptions(p, p.hasMatchedOption("-t"), p.matchedOptionValue("-p", 0),
                p.hasMatchedOption("-L"), p.hasMatchedOption("-4"), p.hasMatchedOption("-6"),
                p.hasMatchedOption("-j"), p.hasMatchedOption("-d"), p.hasMatchedOption("-v"),
                ringBytes(p, p.matchedOptionValue("-b", null)),
                p.hasMatchedOption("-j") ? new CgroupNames(CgroupV2.root(), new KubeletLogs(KUBELET_LOG_DIR),
                        CgroupNames.DEFAULT_WAIT_NS) : null);
        if (o.ipv4 && o.ipv6) {
            throw o.usage("-4 and -6 exclude each other");
        }
        if (p.hasMatchedOption("-p") && o.pid <= 0) {
            throw o.usage("--pid must be a positive process id, not " + o.pid);
        }
        long pidMax = pidMax();
        if (o.pid >= pidMax) {
            throw o.usage("--pid " + o.pid + " is above the largest process id (" + (pidMax - 1) + ")");
        }
        return o;
    }

    /** -b SIZE: bytes, or K, M, G (binary); a power of two the kernel accepts for a ring buffer (0: the default). */
    private static int ringBytes(ParseResult p, String size) {
        if (size == null) {
            return 0;
        }
        Matcher m = SIZE.matcher(size);
        long bytes = -1;
        if (m.matches() && m.group(1).length() <= 10) {
            int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
                case "K" -> 10;
                case "M" -> 20;
                case "G" -> 30;
                default -> 0;
            };
            bytes = Long.parseLong(m.group(1)) << shift;
        }
        if (bytes < TraceConfig.MIN_RING_BYTES || bytes > TraceConfig.MAX_RING_BYTES || Long.bitCount(bytes) != 1) {
            throw new ParameterException(p.commandSpec().commandLine(),
                    "--buffer-size takes a power of two from 4K to 1G, e.g. 64M, not '" + size + "'");
        }
        return (int) bytes;
    }

    private static final Pattern SIZE = Pattern.compile("(\\d+)([KkMmGg]?)");

    /** The kernel's pid_max: every pid is below it. */
    private static long pidMax() {
        try {
            // not Files.readString: procfs files report size 0, and it then reads a truncated value
            return Long.parseLong(Files.readAllLines(Path.of("/proc/sys/kernel/pid_max")).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return 1L << 22; // PID_MAX_LIMIT on 64-bit
        }
    }

    /** The address family filter: AF_INET, AF_INET6 or 0. */
    int family() {
        return ipv4 ? LibC.AF_INET : ipv6 ? LibC.AF_INET6 : 0;
    }

    /** A builder with the shared options set: -p, -4/-6, -d, -b, -v (and the cgroup names JSON needs). */
    TraceConfig.Builder configure(TraceConfig.Builder b) {
        return b.pid(pid).family(family()).dns(dns).ringBytes(ringBytes).cgroupNames(cgroupNames).verbose(verbose);
    }

    /** The DNS cache behind -d, or null. */
    DnsCache dnsCache() {
        return dns ? new DnsCache() : null;
    }

    /** The -t/-L/-d table or the JSON lines. */
    EventPrinter printer(TextTable.Tool tool, DnsCache cache, boolean uid, boolean lportColumn, boolean result,
            boolean retransmits) {
        QueryColumn query = cache == null ? null : new QueryColumn(cache);
        return json ? new JsonLines(query, cgroupNames)
                : new TextTable(tool, timestamp, uid, lportColumn, result, retransmits, query);
    }

    /** --cidrs, or null; {@code needed} is how to make it mean something when {@code usable} is false. */
    static Cidrs cidrs(ParseResult parsed, boolean usable, String needed) {
        String spec = labelOption(parsed, "--cidrs", usable, "groups the daddr label: " + needed);
        try {
            return spec == null ? null : Cidrs.read(spec);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(parsed.commandSpec().commandLine(), "--cidrs " + e.getMessage());
        }
    }

    /**
     * The value of an option that shapes a label, or null when not given; a usage error
     * ("OPTION WHAT") when it is given but the label is not asked for ({@code usable} false).
     */
    private static String labelOption(ParseResult parsed, String option, boolean usable, String what) {
        String value = parsed.matchedOptionValue(option, null);
        if (value != null && !usable) {
            throw new ParameterException(parsed.commandSpec().commandLine(), option + " " + what);
        }
        return value;
    }

    /**
     * --kubelet.log-dir (default /var/log) when {@code usable}, else null; a usage error when it
     * is given but no Kubernetes label is asked for ({@code needed} says how), or is not a directory.
     */
    static KubeletLogs kubeletLogs(ParseResult parsed, boolean usable, String needed) {
        String dir = labelOption(parsed, "--kubelet.log-dir", usable, "names the Kubernetes labels: " + needed);
        if (!usable) {
            return null;
        }
        Path path = Path.of(dir == null ? KUBELET_LOG_DIR.toString() : dir);
        if (dir != null && (dir.isEmpty() || !Files.isDirectory(path))) {
            throw new ParameterException(parsed.commandSpec().commandLine(), "--kubelet.log-dir takes the kubelet log "
                    + "directory, which holds pods/ and containers/ (e.g. /var/log), not '" + dir + "': "
                    + (dir.isEmpty() || !Files.exists(path) ? "no such directory" : "not a directory"));
        }
        return new KubeletLogs(path);
    }

    /** The --peers.max option: both commands offer it, with the peer label. */
    static void peersMaxOption(CommandSpec spec, String with) {
        spec.addOption(OptionSpec.builder("--peers.max").paramLabel("NAMES").type(String.class)
                .description(with + ": the most DNS names kept apart (default " + Peers.DEFAULT_MAX
                        + "); the addresses of further names are \"other\"").build());
    }

    /** --peers.max's names, or null; {@code needed} is how to make it mean something when {@code usable} is false. */
    static Peers peers(ParseResult parsed, boolean usable, String needed) {
        String max = labelOption(parsed, "--peers.max", usable, "bounds the peer label: " + needed);
        if (max == null) {
            return null;
        }
        if (!max.matches("\\d{1,6}") || Integer.parseInt(max) < 1 || Integer.parseInt(max) > Peers.MAX) {
            throw new ParameterException(parsed.commandSpec().commandLine(), "--peers.max takes a number of names from 1 to "
                    + Peers.MAX + ", not '" + max + "'");
        }
        return new Peers(Integer.parseInt(max));
    }

    ParameterException usage(String message) {
        return new ParameterException(parsed.commandSpec().commandLine(), message);
    }
}
