package dev.tcpconnlat.exporter;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * Pushes the registry's metrics (what /metrics serves) to an OTLP/HTTP receiver every interval,
 * from a thread of its own: a push reads the kernel's maps as a scrape does (the same lock, as
 * long as one scrape), then encodes ({@link OtlpEncoder}) and sends without holding anything, so
 * it never holds up scrapes or the kernel reader. The body is written straight into the
 * connection as it is encoded (its length computed first; chunked when gzipped): no copy of it is
 * held, and the JDK's plain HttpURLConnection needs no threads of its own (the JDK's HttpClient
 * cost ~12 MB more RSS). A push that fails (no answer within the
 * timeout, a refused connection, a status other than 2xx) is counted
 * ({@code tcpconnlat_exporter_otlp_push_failures_total}) and said on stderr once per run of
 * failures; the next interval's push carries every count (cumulative series), so nothing is lost.
 */
public final class OtlpPush implements MultiCollector, AutoCloseable {
    /**
     * As the OpenTelemetry exporters name them (OTEL_EXPORTER_OTLP_*, OTEL_METRIC_EXPORT_INTERVAL).
     *
     * @param endpoint the URL requests go to (…/v1/metrics)
     * @param tls for https: the trust and client certificate of {@link #tls}, or null for the system's
     */
    public record Config(URI endpoint, Map<String, String> headers, Duration interval, Duration timeout, boolean gzip,
            SSLSocketFactory tls) {}

    private final Config config;
    private final PrometheusRegistry registry;
    private final OtlpEncoder encoder;
    private final Consumer<String> warn;
    private final Thread thread;
    private volatile boolean closed;
    private long pushes;
    private long failures;
    private long failing; // failures in a row

    OtlpPush(Config config, PrometheusRegistry registry, Map<String, String> resource, String version,
            Consumer<String> warn) {
        this.config = config;
        this.registry = registry;
        this.warn = warn;
        this.encoder = new OtlpEncoder(resource, "tcpconnlat-exporter", version, System.currentTimeMillis() * 1_000_000L);
        this.thread = Thread.ofPlatform().daemon().name("otlp-push").unstarted(this::loop);
    }

    /**
     * The TLS of the pushes, read once: {@code caFile} PEM certificates to trust instead of the
     * system's (or null), {@code clientCertificate} and {@code clientKey} PEM for a receiver that
     * asks for one (or null). Files that do not read: IllegalArgumentException, one line.
     */
    public static SSLSocketFactory tls(Path caFile, Path clientCertificate, Path clientKey) {
        try {
            SSLContext ssl = SSLContext.getInstance("TLS");
            KeyManager[] keys = clientCertificate == null ? null
                    : new KeyManager[] {WebConfig.keyManager(clientCertificate,
                            "--otlp.client-certificate ", clientKey, "--otlp.client-key ")};
            TrustManager[] trust = caFile == null ? null
                    : new TrustManager[] {WebConfig.trustManager(caFile, "--otlp.certificate ")};
            ssl.init(keys, trust, null);
            return ssl.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("--otlp: " + e.getMessage());
        }
    }

    void start() {
        thread.start();
    }

    private void loop() {
        long next = System.nanoTime() + config.interval().toNanos();
        while (!closed) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    Thread.sleep(Duration.ofNanos(wait));
                } catch (InterruptedException e) {
                    return;
                }
                continue;
            }
            next += config.interval().toNanos();
            if (next < System.nanoTime()) { // a push longer than the interval: the next one an interval from now
                next = System.nanoTime() + config.interval().toNanos();
            }
            push();
        }
    }

    /**
     * HTTP headers that the connection sets itself, or that the body's encoding decides: not
     * taken from --otlp.headers (HttpURLConnection would drop some of them without a word).
     */
    public static final java.util.Set<String> OWN_HEADERS = java.util.Set.of("host", "content-length", "connection",
            "transfer-encoding", "expect", "upgrade", "content-type", "content-encoding", "keep-alive", "te", "trailer");

    /** One push; false when it failed (counted, and said when it is the first of a run). */
    boolean push() {
        String failure;
        HttpURLConnection c = null;
        try {
            MetricSnapshots snapshots = registry.scrape();
            OtlpEncoder.Request body = encoder.request(snapshots, System.currentTimeMillis() * 1_000_000L);
            c = (HttpURLConnection) config.endpoint().toURL().openConnection();
            if (config.tls() != null && c instanceof HttpsURLConnection https) {
                https.setSSLSocketFactory(config.tls());
            }
            int timeout = (int) Math.min(Integer.MAX_VALUE, config.timeout().toMillis());
            c.setConnectTimeout(timeout);
            c.setReadTimeout(timeout);
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/x-protobuf");
            config.headers().forEach(c::setRequestProperty);
            if (config.gzip()) {
                c.setRequestProperty("Content-Encoding", "gzip");
                c.setChunkedStreamingMode(64 * 1024);
            } else {
                c.setFixedLengthStreamingMode(body.size());
            }
            try (OutputStream out = config.gzip() ? new GZIPOutputStream(c.getOutputStream(), 64 * 1024) : c.getOutputStream()) {
                body.writeTo(out);
            }
            int status = c.getResponseCode();
            String answer = drain(status / 100 == 2 ? c.getInputStream() : c.getErrorStream());
            failure = status / 100 == 2 ? null : "HTTP " + status + firstLine(answer);
        } catch (ConnectMetrics.Stopped e) {
            return false; // the exporter is stopping
        } catch (IOException | RuntimeException e) {
            failure = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (c != null) {
                c.disconnect();
            }
        }
        synchronized (this) {
            pushes++;
            if (failure == null) {
                if (failing > 0) {
                    warn.accept("OTLP push to " + config.endpoint() + " works again (" + failing + " failed before)");
                }
                failing = 0;
                return true;
            }
            failures++;
            if (failing++ == 0) {
                warn.accept("OTLP push to " + config.endpoint() + " failed: " + failure + " (tried again every "
                        + config.interval().toSeconds() + " s; counted in tcpconnlat_exporter_otlp_push_failures_total)");
            }
            return false;
        }
    }

    /** The answer's first 4 KiB, read to its end so that the connection can be kept for the next push. */
    private static String drain(InputStream in) throws IOException {
        if (in == null) {
            return "";
        }
        try (in) {
            byte[] head = in.readNBytes(4096);
            in.transferTo(OutputStream.nullOutputStream());
            return new String(head, StandardCharsets.UTF_8);
        }
    }

    private static String firstLine(String body) {
        String line = body == null ? "" : body.strip().lines().findFirst().orElse("");
        return line.isEmpty() ? "" : ": " + (line.length() > 200 ? line.substring(0, 200) + "..." : line);
    }

    @Override
    public synchronized MetricSnapshots collect() {
        return new MetricSnapshots(
                CounterSnapshot.builder().name("tcpconnlat_exporter_otlp_pushes")
                        .help("OTLP pushes made (--otlp.endpoint), failed or not")
                        .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(pushes).build()).build(),
                CounterSnapshot.builder().name("tcpconnlat_exporter_otlp_push_failures")
                        .help("OTLP pushes that failed: no answer within --otlp.timeout, no connection, or a status "
                                + "other than 2xx (the next push carries their counts)")
                        .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(failures).build()).build());
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        thread.interrupt();
        if (thread.isAlive()) {
            thread.join(1000);
        }
    }
}
