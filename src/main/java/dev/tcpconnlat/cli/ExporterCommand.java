package dev.tcpconnlat.cli;

import dev.tcpconnlat.cgroup.CgroupPaths;
import dev.tcpconnlat.exporter.ConnectMetrics;
import dev.tcpconnlat.exporter.Label;
import dev.tcpconnlat.trace.CgroupV2;
import dev.tcpconnlat.trace.TraceConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/** tcpconnlat-exporter: connect latency and failures as Prometheus metrics, aggregated in the kernel. */
final class ExporterCommand {
    /** The 9100-9999 range of Prometheus' default port allocations is full; new exporters take ports above 10000. */
    static final int DEFAULT_PORT = 10417;

    private ExporterCommand() {}

    static CommandSpec spec() {
        CommandSpec spec = CommonOptions.withHelp("tcpconnlat-exporter");
        spec.usageMessage().description("Serve connect latency and failures as Prometheus metrics, "
                + "aggregated in the kernel and read at scrape time.").footer("", "Examples:",
                "  tcpconnlat-exporter                               # :" + DEFAULT_PORT + "/metrics, by unit",
                "  tcpconnlat-exporter --labels unit,container_id,pod_uid",
                "  tcpconnlat-exporter --web.listen-address 127.0.0.1:9999 --labels comm,dport");
        spec.addOption(OptionSpec.builder("--web.listen-address").paramLabel("[HOST]:PORT").type(String.class)
                .description("where to serve /metrics (default :" + DEFAULT_PORT + ", every address)").build());
        spec.addOption(OptionSpec.builder("--web.telemetry-path").paramLabel("PATH").type(String.class)
                .description("the path of the metrics (default /metrics); / is a page that links to it, "
                        + "/-/healthy answers 200 while the exporter runs").build());
        spec.addOption(OptionSpec.builder("--labels").paramLabel("LABELS").type(String.class)
                .description("labels besides result and family, comma-separated, from unit, cgroup, container_id, "
                        + "pod_uid, comm, daddr, dport (default unit; daddr and dport grow with what is contacted)")
                .build());
        spec.addOption(OptionSpec.builder("--buckets").paramLabel("SECONDS").type(String.class)
                .description("the classic histogram's le bounds, comma-separated seconds (default "
                        + String.join(",", ConnectMetrics.DEFAULT_BUCKETS.stream().map(d -> stripZeros(d)).toList())
                        + "); native histograms always have the kernel's buckets").build());
        CommonOptions.flag(spec, "print libbpf's log on stderr", "-v", "--verbose");
        return spec;
    }

    private static String stripZeros(double d) {
        return new java.math.BigDecimal(Double.toString(d)).stripTrailingZeros().toPlainString();
    }

    static int run(ParseResult parsed) throws Exception {
        InetSocketAddress address = address(parsed, parsed.matchedOptionValue("--web.listen-address", ":" + DEFAULT_PORT));
        List<Label> labels = labels(parsed, parsed.matchedOptionValue("--labels", "unit"));
        List<Double> buckets = buckets(parsed, parsed.matchedOptionValue("--buckets", null));
        Set<TraceConfig.By> key = EnumSet.of(TraceConfig.By.FAMILY);
        labels.forEach(l -> key.add(l.keyPart()));
        TraceConfig config = TraceConfig.builder(TraceConfig.Mode.HISTOGRAM).reportFailures(true)
                .histogramBy(key).histogramAttempts(true).build();
        CgroupPaths cgroups = key.contains(TraceConfig.By.CGROUP) ? new CgroupPaths(CgroupV2.root()) : null;
        String path = parsed.matchedOptionValue("--web.telemetry-path", "/metrics");
        if (!path.startsWith("/") || path.equals("/") || path.equals("/-/healthy") || path.contains(" ")) {
            throw usage(parsed, "--web.telemetry-path takes a path such as /metrics (not /, /-/healthy or a path "
                    + "with spaces), not '" + path + "'");
        }
        return new Session("tcpconnlat-exporter", System.err).export(config, parsed.hasMatchedOption("-v"), address,
                path,
                tracer -> new ConnectMetrics(tracer, labels, buckets, cgroups, Version.get()));
    }

    /** node_exporter's form: ":9100", "127.0.0.1:9100", "[::1]:9100". */
    static InetSocketAddress address(ParseResult parsed, String text) {
        int colon = text.lastIndexOf(':');
        String host = colon < 0 ? "" : text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = -1;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            // below
        }
        if (colon < 0 || port < 1 || port > 65535) {
            throw usage(parsed, "--web.listen-address takes [HOST]:PORT, e.g. :" + DEFAULT_PORT
                    + " or 127.0.0.1:" + DEFAULT_PORT + ", not '" + text + "'");
        }
        InetSocketAddress a = host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
        if (a.isUnresolved()) {
            throw usage(parsed, "--web.listen-address: cannot resolve host '" + host + "'");
        }
        return a;
    }

    /**
     * Label names exactly as they are written (lowercase, no spaces), each once, comma-separated;
     * an empty list is no label besides result and family.
     */
    static List<Label> labels(ParseResult parsed, String text) {
        Set<Label> labels = EnumSet.noneOf(Label.class);
        if (text.isEmpty()) {
            return List.of();
        }
        for (String name : text.split(",", -1)) {
            Label label = Label.named(name);
            if (label == null) {
                throw usage(parsed, "--labels takes unit, cgroup, container_id, pod_uid, comm, daddr and dport, "
                        + "comma-separated, not '" + name + "'");
            }
            if (!labels.add(label)) {
                throw usage(parsed, "--labels: " + name + " is given twice");
            }
        }
        return List.copyOf(labels);
    }

    static List<Double> buckets(ParseResult parsed, String text) {
        if (text == null) {
            return ConnectMetrics.DEFAULT_BUCKETS;
        }
        List<Double> bounds = new ArrayList<>();
        for (String b : text.split(",", -1)) {
            double d;
            try {
                d = b.trim().matches("\\d+(\\.\\d*)?|\\.\\d+") ? Double.parseDouble(b.trim()) : -1;
            } catch (NumberFormatException e) {
                d = -1;
            }
            if (!(d > 0) || (!bounds.isEmpty() && d <= bounds.getLast())) {
                throw usage(parsed, "--buckets takes increasing decimal numbers of seconds above 0, not '" + text + "'");
            }
            bounds.add(d);
        }
        return bounds;
    }

    private static picocli.CommandLine.ParameterException usage(ParseResult parsed, String message) {
        return new picocli.CommandLine.ParameterException(parsed.commandSpec().commandLine(), message);
    }
}
