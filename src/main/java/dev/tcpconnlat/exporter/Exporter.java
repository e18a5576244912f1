package dev.tcpconnlat.exporter;

import dev.tcpconnlat.cgroup.CgroupNames;
import dev.tcpconnlat.trace.Label;
import dev.tcpconnlat.trace.Tracer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * tcpconnlat-exporter's mode: the metrics ({@link ConnectMetrics}) served over HTTP(S)
 * ({@link Web}) while the engine's loop takes cgroup names and removals from the kernel and
 * lets the metrics clean the maps up; with {@link Builder#otlp} they are pushed over OTLP too
 * ({@link OtlpPush}). Made with {@link #builder}.
 */
public final class Exporter {
    private final Builder b;

    private Exporter(Builder b) {
        this.b = b;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Serves until {@code stop} says so; then new requests get 503, the tracer is closed (every
     * program detached) and the scrapes in flight are written to the end. IOException: cannot listen.
     */
    public void serve(Tracer tracer, Tracer.LossListener losses, BooleanSupplier stop) throws Exception {
        ConnectMetrics metrics = new ConnectMetrics(tracer, b.labels, b.buckets, b.cgroups, b.graceNs, b.version);
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(metrics);
        OtlpPush push = b.otlp == null ? null : new OtlpPush(b.otlp, registry, resource(b.version), b.version, b.warn);
        if (push != null) {
            registry.register(push);
        }
        // closed in reverse: the push (after the programs are detached: a push waiting on a slow
        // receiver never holds up the stop), then the web server
        try (Web web = Web.start(b.address, b.telemetryPath, registry, b.webConfigFile, b.webConfig, b.warn);
                OtlpPush p = push) {
            if (p != null) {
                p.start();
            }
            tracer.stream(Tracer.Listener.withoutEvents(metrics::maintain, metrics::cgroupGone, losses), stop);
            // new requests get 503; detach now (after a snapshot being read), and let the
            // scrapes in flight finish writing theirs while the port closes
            web.refuse();
            tracer.close();
        }
    }

    /**
     * The OTLP resource: host.name and service.instance.id the host's name (a receiver such as
     * Prometheus makes the latter its instance label), service.name and service.version.
     */
    static Map<String, String> resource(String version) {
        String host;
        try {
            host = java.nio.file.Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            host = "unknown";
        }
        Map<String, String> r = new LinkedHashMap<>();
        r.put("service.name", "tcpconnlat-exporter");
        r.put("service.version", version);
        r.put("service.instance.id", host);
        r.put("host.name", host);
        return r;
    }

    public static final class Builder {
        private InetSocketAddress address = new InetSocketAddress(10417);
        private String telemetryPath = "/metrics";
        private Path webConfigFile;
        private WebConfig webConfig = WebConfig.NONE;
        private List<Label> labels = List.of();
        private List<Double> buckets = ConnectMetrics.DEFAULT_BUCKETS;
        private CgroupNames cgroups;
        private long graceNs = 300_000_000_000L;
        private String version = "";
        private Consumer<String> warn = m -> {};
        private OtlpPush.Config otlp;

        private Builder() {}

        public Builder address(InetSocketAddress a) { this.address = a; return this; }

        public Builder telemetryPath(String p) { this.telemetryPath = p; return this; }

        /** TLS and users, as read from {@code file} (null: none), which is read again when it changes. */
        public Builder webConfig(Path file, WebConfig config) { this.webConfigFile = file; this.webConfig = config; return this; }

        /** The --labels (result and family are always there). */
        public Builder labels(List<Label> l) { this.labels = List.copyOf(l); return this; }

        public Builder buckets(List<Double> b) { this.buckets = List.copyOf(b); return this; }

        /** The names of the tracer's cgroups, when a label needs them. */
        public Builder cgroups(CgroupNames c) { this.cgroups = c; return this; }

        public Builder graceNs(long ns) { this.graceNs = ns; return this; }

        public Builder version(String v) { this.version = v; return this; }

        /** Told of a changed web config that does not read (the last good one is kept). */
        public Builder warn(Consumer<String> w) { this.warn = w; return this; }

        /** Also push to an OTLP receiver (null: no push). */
        public Builder otlp(OtlpPush.Config c) { this.otlp = c; return this; }

        public Exporter build() {
            return new Exporter(this);
        }
    }
}
