package dev.tcpconnlat.cli;

import dev.tcpconnlat.cgroup.CgroupNames;
import dev.tcpconnlat.cgroup.KubeletLogs;
import dev.tcpconnlat.exporter.ConnectMetrics;
import dev.tcpconnlat.exporter.Exporter;
import dev.tcpconnlat.exporter.OtlpPush;
import dev.tcpconnlat.trace.Tracer;
import dev.tcpconnlat.exporter.WebConfig;
import dev.tcpconnlat.trace.Cidrs;
import dev.tcpconnlat.trace.Peers;
import dev.tcpconnlat.trace.Label;
import java.nio.file.Path;
import dev.tcpconnlat.trace.CgroupV2;
import dev.tcpconnlat.trace.TraceConfig;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
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
        spec.addOption(OptionSpec.builder("--web.config.file").paramLabel("FILE").type(String.class)
                .description("TLS and basic auth, in Prometheus exporter-toolkit's format (tls_server_config, "
                        + "basic_auth_users); read again when it changes").build());
        spec.addOption(OptionSpec.builder("--labels").paramLabel("LABELS").type(String.class)
                .description("labels besides result and family, comma-separated (default unit; daddr and dport "
                        + "grow with what is contacted): " + String.join("; ", Label.SELECTABLE.stream()
                                .map(l -> l.labelName() + " (" + l.help() + ")").toList()))
                .build());
        spec.addOption(OptionSpec.builder("--cidrs").paramLabel("GROUPS").type(String.class)
                .description("with --labels daddr: the name of the longest matching prefix instead of the address "
                        + "(\"other\" when none), e.g. 10.0.0.0/8=internal,192.168.0.0/16=lan,fd00::/8=internal, "
                        + "or @FILE with one PREFIX=NAME per line; IPv4 prefixes match v4-mapped destinations too")
                .build());
        CommonOptions.peersMaxOption(spec, "with --labels peer");
        spec.addOption(OptionSpec.builder("--series.max").paramLabel("KEYS").type(String.class)
                .description("the most keys of each kernel map (histograms, attempts): label sets at once "
                        + "(default " + TraceConfig.DEFAULT_SERIES_MAX + ")").build());
        spec.addOption(OptionSpec.builder("--series.grace").paramLabel("DURATION").type(String.class)
                .description("how long the final counts of a removed cgroup's series (or of series idle while a "
                        + "map was nearly full) are still served, and how long a pod's names are waited for before its series "
                        + "are served without them; a Prometheus duration, e.g. 30s, 5m, 1h, 2w (default 5m)").build());
        spec.addOption(OptionSpec.builder("--kubelet.log-dir").paramLabel("DIR").type(String.class)
                .description("where the kubelet's pods/ and containers/ log directories are, for the namespace, "
                        + "pod and container labels (default /var/log)").build());
        spec.addOption(OptionSpec.builder("--buckets").paramLabel("SECONDS").type(String.class)
                .description("the classic histogram's le bounds, comma-separated seconds (default "
                        + String.join(",", ConnectMetrics.DEFAULT_BUCKETS.stream().map(d -> stripZeros(d)).toList())
                        + "); native histograms always have the kernel's buckets").build());
        spec.addOption(OptionSpec.builder("--otlp.endpoint").paramLabel("URL").type(String.class)
                .description("also push the metrics to this OTLP/HTTP receiver (protobuf), as OTEL_EXPORTER_OTLP_ENDPOINT: "
                        + "/v1/metrics is added unless the URL ends with it, e.g. http://collector:4318 or "
                        + "http://victoria-metrics:8428/opentelemetry").build());
        spec.addOption(OptionSpec.builder("--otlp.headers").paramLabel("KEY=VALUE,...").type(String.class)
                .description("headers of every push, e.g. Authorization=Bearer%%20TOKEN (values %%-encoded, as "
                        + "OTEL_EXPORTER_OTLP_HEADERS)").build());
        spec.addOption(OptionSpec.builder("--otlp.interval").paramLabel("DURATION").type(String.class)
                .description("time between pushes (default 60s, as OTEL_METRIC_EXPORT_INTERVAL)").build());
        spec.addOption(OptionSpec.builder("--otlp.timeout").paramLabel("DURATION").type(String.class)
                .description("how long connecting, and then waiting for the answer, may each take (default 10s, as "
                        + "OTEL_EXPORTER_OTLP_TIMEOUT)").build());
        spec.addOption(OptionSpec.builder("--otlp.compression").paramLabel("gzip|none").type(String.class)
                .description("compression of the pushes' bodies (default none)").build());
        spec.addOption(OptionSpec.builder("--otlp.certificate").paramLabel("FILE").type(String.class)
                .description("with https: PEM certificates to trust instead of the system's").build());
        spec.addOption(OptionSpec.builder("--otlp.client-certificate").paramLabel("FILE").type(String.class)
                .description("with https: a PEM client certificate (and --otlp.client-key) for a receiver that asks for one")
                .build());
        spec.addOption(OptionSpec.builder("--otlp.client-key").paramLabel("FILE").type(String.class)
                .description("the key of --otlp.client-certificate, PEM").build());
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
        long graceNs = duration(parsed, "--series.grace", parsed.matchedOptionValue("--series.grace", "5m"));
        String max = parsed.matchedOptionValue("--series.max", Integer.toString(TraceConfig.DEFAULT_SERIES_MAX));
        if (!max.matches("\\d{1,7}") || Integer.parseInt(max) < 1 || Integer.parseInt(max) > TraceConfig.MAX_SERIES_MAX) {
            throw usage(parsed, "--series.max takes a number of keys from 1 to " + TraceConfig.MAX_SERIES_MAX
                    + ", not '" + max + "'");
        }
        KubeletLogs kubelet = CommonOptions.kubeletLogs(parsed, labels.stream().anyMatch(Label.KUBERNETES::contains),
                "add namespace, pod or container to --labels");
        CgroupNames cgroups = labels.stream().anyMatch(Label::fromCgroup)
                ? new CgroupNames(CgroupV2.root(), kubelet, graceNs) : null;
        Cidrs cidrs = CommonOptions.cidrs(parsed, labels.contains(Label.DADDR), "add daddr to --labels");
        Peers peers = CommonOptions.peers(parsed, labels.contains(Label.PEER), "add peer to --labels");
        List<Label> key = new ArrayList<>(Label.ALWAYS);
        key.addAll(labels);
        TraceConfig config = TraceConfig.builder(TraceConfig.Mode.HISTOGRAM).reportFailures(true)
                .labels(key).histogramAttempts(true).cgroupNames(cgroups).seriesMax(Integer.parseInt(max)).cidrs(cidrs)
                .peers(peers)
                .verbose(parsed.hasMatchedOption("-v")).build();
        String path = parsed.matchedOptionValue("--web.telemetry-path", "/metrics");
        // as a request's path arrives, decoded: segments of URL path characters, no query, no %-escape
        if (!path.matches("(/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+") || path.equals("/-/healthy")) {
            throw usage(parsed, "--web.telemetry-path takes a path such as /metrics (not /, /-/healthy, an empty "
                    + "segment, a query or a %-escape), not '" + path + "'");
        }
        String webFile = parsed.matchedOptionValue("--web.config.file", null);
        WebConfig web;
        try {
            web = webFile == null ? WebConfig.NONE : WebConfig.read(Path.of(webFile));
        } catch (IllegalArgumentException e) {
            throw new ToolException(e.getMessage());
        }
        OtlpPush.Config otlp = otlp(parsed);
        Exporter exporter = Exporter.builder().address(address).telemetryPath(path).otlp(otlp)
                .webConfig(webFile == null ? null : Path.of(webFile), web)
                .labels(labels).buckets(buckets).cgroups(cgroups).graceNs(graceNs).version(Version.get())
                .warn(m -> System.err.println("tcpconnlat-exporter: " + m)).build();
        Run run = new Run("tcpconnlat-exporter", System.err);
        try (Tracer tracer = run.start(config)) {
            if (tracer != null) {
                exporter.serve(tracer, run::reportLoss, run::stopped);
            }
        } catch (java.io.IOException e) {
            throw new ToolException("cannot listen on " + address.getHostString() + ":" + address.getPort() + ": "
                    + (e.getMessage() == null ? e.toString() : e.getMessage()));
        }
        return 0;
    }

    private static final List<String> OTLP_OPTIONS = List.of("--otlp.headers", "--otlp.interval", "--otlp.timeout",
            "--otlp.compression", "--otlp.certificate", "--otlp.client-certificate", "--otlp.client-key");

    /** The --otlp.* options, or null without --otlp.endpoint; a usage error for a bad one. */
    static OtlpPush.Config otlp(ParseResult parsed) {
        String endpoint = parsed.matchedOptionValue("--otlp.endpoint", null);
        if (endpoint == null) {
            for (String o : OTLP_OPTIONS) {
                if (parsed.hasMatchedOption(o)) {
                    throw usage(parsed, o + " goes with --otlp.endpoint");
                }
            }
            return null;
        }
        URI uri;
        try {
            uri = new URI(endpoint);
        } catch (java.net.URISyntaxException e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null
                || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
            throw usage(parsed, "--otlp.endpoint takes an http:// or https:// URL such as http://localhost:4318, not '"
                    + endpoint + "'");
        }
        String base = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
        if (!base.endsWith("/v1/metrics")) {
            uri = uri.resolve(base + "/v1/metrics");
        }
        java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
        String h = parsed.matchedOptionValue("--otlp.headers", "");
        for (String pair : h.isEmpty() ? new String[0] : h.split(",", -1)) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? "" : pair.substring(0, eq).strip();
            String value;
            try {
                value = eq < 0 ? null : java.net.URLDecoder.decode(pair.substring(eq + 1).strip().replace("+", "%2B"),
                        java.nio.charset.StandardCharsets.UTF_8);
                if (!key.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+") || OtlpPush.OWN_HEADERS.contains(key.toLowerCase(java.util.Locale.ROOT))
                        || !value.chars().allMatch(ch -> ch == '\t' || ch >= 0x20 && ch != 0x7f)) {
                    throw new IllegalArgumentException(key);
                }
            } catch (IllegalArgumentException | NullPointerException e) {
                throw usage(parsed, "--otlp.headers takes KEY=VALUE pairs separated by commas (values %-encoded; not "
                        + "Host, Content-Length or another header the HTTP client sets itself), not '" + pair + "'");
            }
            headers.put(key, value);
        }
        long interval = duration(parsed, "--otlp.interval", parsed.matchedOptionValue("--otlp.interval", "60s"));
        long timeout = duration(parsed, "--otlp.timeout", parsed.matchedOptionValue("--otlp.timeout", "10s"));
        if (interval < 1_000_000_000L) {
            throw usage(parsed, "--otlp.interval must be at least 1s");
        }
        if (timeout < 1_000_000L) {
            throw usage(parsed, "--otlp.timeout must be at least 1ms");
        }
        String compression = parsed.matchedOptionValue("--otlp.compression", "none");
        if (!compression.equals("gzip") && !compression.equals("none")) {
            throw usage(parsed, "--otlp.compression takes gzip or none, not '" + compression + "'");
        }
        Path ca = file(parsed, "--otlp.certificate");
        Path cert = file(parsed, "--otlp.client-certificate");
        Path key = file(parsed, "--otlp.client-key");
        if ((cert == null) != (key == null)) {
            throw usage(parsed, "--otlp.client-certificate and --otlp.client-key go together");
        }
        if ((ca != null || cert != null) && !"https".equals(uri.getScheme())) {
            throw usage(parsed, "--otlp.certificate and --otlp.client-certificate need an https:// --otlp.endpoint");
        }
        javax.net.ssl.SSLSocketFactory tls;
        try {
            tls = ca == null && cert == null ? null : OtlpPush.tls(ca, cert, key);
        } catch (IllegalArgumentException e) {
            throw new ToolException(e.getMessage());
        }
        return new OtlpPush.Config(uri, headers, java.time.Duration.ofNanos(interval),
                java.time.Duration.ofNanos(timeout), compression.equals("gzip"), tls);
    }

    private static Path file(ParseResult parsed, String option) {
        String f = parsed.matchedOptionValue(option, null);
        if (f == null) {
            return null;
        }
        if (f.isEmpty() || !java.nio.file.Files.isRegularFile(Path.of(f))) {
            throw usage(parsed, option + " takes a PEM file, not '" + f + "'");
        }
        return Path.of(f);
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

    /** --labels: see {@link Label#parseList}; "" is no label besides result and family. */
    static List<Label> labels(ParseResult parsed, String text) {
        try {
            return Label.parseList(text, Label.SELECTABLE);
        } catch (IllegalArgumentException e) {
            throw usage(parsed, "--labels " + e.getMessage());
        }
    }

    /** A Prometheus duration's units, in the order they are written (each at most once): 1y2w3d4h5m6s7ms. */
    private static final long[] UNIT_NS = {365 * 86_400_000_000_000L, 7 * 86_400_000_000_000L, 86_400_000_000_000L,
            3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L};
    private static final java.util.regex.Pattern PROMETHEUS_DURATION = java.util.regex.Pattern.compile(
            "(?:(\\d{1,4})y)?(?:(\\d{1,5})w)?(?:(\\d{1,6})d)?(?:(\\d{1,7})h)?(?:(\\d{1,9})m)?(?:(\\d{1,9})s)?(?:(\\d{1,9})ms)?");

    /**
     * A Prometheus duration (30s, 5m, 1h30m, 2w, 1y; 0 and 0s are none, as Prometheus has them),
     * in ns; a usage error otherwise.
     */
    static long duration(ParseResult parsed, String option, String text) {
        java.util.regex.Matcher m = PROMETHEUS_DURATION.matcher(text);
        long ns = text.equals("0") ? 0 : -1;
        if (!text.isEmpty() && m.matches()) {
            ns = 0;
            try {
                for (int i = 0; i < UNIT_NS.length; i++) {
                    if (m.group(i + 1) != null) {
                        ns = Math.addExact(ns, Math.multiplyExact(Long.parseLong(m.group(i + 1)), UNIT_NS[i]));
                    }
                }
            } catch (ArithmeticException tooLong) {
                ns = Long.MAX_VALUE;
            }
        }
        if (ns < 0 || ns > 10 * UNIT_NS[0]) {
            throw usage(parsed, option + " takes a duration such as 30s, 5m, 1h30m or 2w (at most 10y), not '"
                    + text + "'");
        }
        return ns;
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
