package dev.tcpconnlat.exporter;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.GZIPOutputStream;

/**
 * The exporter's HTTP side, as node_exporter serves it: the metrics at the telemetry path (in
 * the format the scraper asks for, the client library's writers), a landing page at {@code /}
 * that links to them, {@code /-/healthy}, and 404 for anything else.
 * <p>
 * Memory does not grow with the scrapers: scrapes that arrive while a snapshot of the metrics
 * is being read share it, and each response is streamed (chunked, gzip when asked for) instead
 * of being built whole. Clients cannot take it down: every request gets its own virtual thread
 * (a client that sends half a request holds only its own), and the JDK's server closes a
 * connection whose request is not read within {@link #REQUEST_SECONDS} or whose response is not
 * taken within {@link #RESPONSE_SECONDS}. A client that goes away is not logged. Once closing,
 * new scrapes get 503 and those in flight get up to a second to finish.
 */
public final class Web implements AutoCloseable {
    static final int REQUEST_SECONDS = 10;
    static final int RESPONSE_SECONDS = 60;
    private static final int BUFFER = 64 * 1024;
    /** Held: java.util.logging keeps loggers weakly, and a collected one would lose its level. */
    private static final Logger HTTP_LOG = Logger.getLogger("com.sun.net.httpserver");

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final PrometheusRegistry registry;
    private final String telemetryPath;
    private final ExpositionFormats formats = ExpositionFormats.init();
    private CompletableFuture<MetricSnapshots> reading;
    private volatile boolean closing;

    private Web(HttpServer server, PrometheusRegistry registry, String telemetryPath) {
        this.server = server;
        this.registry = registry;
        this.telemetryPath = telemetryPath;
    }

    /** Serves {@code registry} on {@code address}; throws IOException when it cannot listen. */
    public static Web start(InetSocketAddress address, String telemetryPath, PrometheusRegistry registry)
            throws IOException {
        // read once by the JDK's server, when its first instance is made
        System.setProperty("sun.net.httpserver.maxReqTime", Integer.toString(REQUEST_SECONDS));
        System.setProperty("sun.net.httpserver.maxRspTime", Integer.toString(RESPONSE_SECONDS));
        HTTP_LOG.setLevel(Level.OFF); // broken pipes of clients that went away: not our error
        Web web = new Web(HttpServer.create(address, 64), registry, telemetryPath);
        web.server.createContext("/", web::handle);
        web.server.setExecutor(web.executor);
        web.server.start();
        return web;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (path.equals(telemetryPath)) {
                metrics(exchange);
            } else if (path.equals("/-/healthy")) {
                send(exchange, closing ? 503 : 200, "text/plain; charset=utf-8", closing ? "Stopping\n" : "Healthy\n");
            } else if (path.equals("/")) {
                send(exchange, 200, "text/html; charset=utf-8", "<html><head><title>tcpconnlat-exporter</title></head>"
                        + "<body><h1>tcpconnlat-exporter</h1><p>TCP connect latency and failures.</p><p><a href=\""
                        + telemetryPath + "\">Metrics</a></p></body></html>\n");
            } else {
                send(exchange, 404, "text/plain; charset=utf-8", "404 page not found\n");
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private void metrics(HttpExchange exchange) throws IOException {
        if (closing) {
            send(exchange, 503, "text/plain; charset=utf-8", "Stopping\n");
            return;
        }
        MetricSnapshots snapshots = snapshot();
        ExpositionFormatWriter writer = formats.findWriter(exchange.getRequestHeaders().getFirst("Accept"));
        String encoding = exchange.getRequestHeaders().getFirst("Accept-Encoding");
        boolean gzip = encoding != null && encoding.contains("gzip");
        exchange.getResponseHeaders().set("Content-Type", writer.getContentType());
        if (gzip) {
            exchange.getResponseHeaders().set("Content-Encoding", "gzip");
        }
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(200, -1);
            return;
        }
        exchange.sendResponseHeaders(200, 0); // chunked: written as it is made
        try (OutputStream out = gzip ? new GZIPOutputStream(exchange.getResponseBody(), BUFFER)
                : new BufferedOutputStream(exchange.getResponseBody(), BUFFER)) {
            writer.write(out, snapshots);
        }
    }

    /** The metrics now; a scrape that comes while another reads them waits for, and shares, that read. */
    private MetricSnapshots snapshot() {
        CompletableFuture<MetricSnapshots> r;
        boolean mine = false;
        synchronized (this) {
            if (reading == null) {
                reading = new CompletableFuture<>();
                mine = true;
            }
            r = reading;
        }
        if (mine) {
            try {
                r.complete(registry.scrape());
            } catch (RuntimeException | Error e) {
                r.completeExceptionally(e);
            } finally {
                synchronized (this) {
                    reading = null;
                }
            }
        }
        return r.join();
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, exchange.getRequestMethod().equals("HEAD") ? -1 : bytes.length);
        if (!exchange.getRequestMethod().equals("HEAD")) {
            exchange.getResponseBody().write(bytes);
        }
    }

    /** New scrapes get 503; those in flight have up to a second to finish; then the port is closed. */
    @Override
    public void close() {
        closing = true;
        server.stop(1);
        executor.shutdownNow();
    }
}
