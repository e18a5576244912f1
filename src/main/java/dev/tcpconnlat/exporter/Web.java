package dev.tcpconnlat.exporter;

import com.sun.net.httpserver.HttpExchange;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The exporter's HTTP side, as node_exporter serves it: the metrics at the telemetry path, a
 * landing page at {@code /} that links to them, {@code /-/healthy}, and 404 for anything else.
 * Clients cannot take it down: every request gets its own virtual thread (a client that sends
 * half a request holds only its own), and the JDK's server closes a connection whose request
 * is not read within {@link #REQUEST_SECONDS} or whose response is not taken within
 * {@link #RESPONSE_SECONDS}. A client that goes away is not logged.
 */
public final class Web {
    static final int REQUEST_SECONDS = 10;
    static final int RESPONSE_SECONDS = 60;
    /** Held: java.util.logging keeps loggers weakly, and a collected one would lose its level. */
    private static final Logger HTTP_LOG = Logger.getLogger("com.sun.net.httpserver");
    /** The client library's server logs a scrape cut by a stop, or a client gone, as SEVERE with a trace. */
    private static final Logger CLIENT_LOG = Logger.getLogger("io.prometheus.metrics.exporter.httpserver");

    private Web() {}

    /** Serves {@code registry} on {@code address}; throws IOException when it cannot listen. */
    public static HTTPServer start(InetSocketAddress address, String telemetryPath, PrometheusRegistry registry)
            throws IOException {
        // read once by the JDK's server, when its first instance is made
        System.setProperty("sun.net.httpserver.maxReqTime", Integer.toString(REQUEST_SECONDS));
        System.setProperty("sun.net.httpserver.maxRspTime", Integer.toString(RESPONSE_SECONDS));
        HTTP_LOG.setLevel(Level.OFF); // broken pipes of clients that went away: not our error
        CLIENT_LOG.setLevel(Level.OFF);
        HTTPServer.Builder b = HTTPServer.builder().port(address.getPort()).registry(registry)
                .metricsHandlerPath(telemetryPath)
                .registerHealthHandler(true)
                .executorService(Executors.newVirtualThreadPerTaskExecutor())
                .defaultHandler(exchange -> landing(exchange, telemetryPath));
        if (!address.getAddress().isAnyLocalAddress()) {
            b.inetAddress(address.getAddress());
        }
        return b.buildAndStart();
    }

    /** {@code /}: a page that links to the metrics; any other path nobody serves: 404. */
    private static void landing(HttpExchange exchange, String telemetryPath) throws IOException {
        try (exchange) {
            boolean root = exchange.getRequestURI().getPath().equals("/");
            byte[] body = (root ? "<html><head><title>tcpconnlat-exporter</title></head><body>"
                    + "<h1>tcpconnlat-exporter</h1><p>TCP connect latency and failures.</p>"
                    + "<p><a href=\"" + telemetryPath + "\">Metrics</a></p></body></html>\n"
                    : "404 page not found\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", root ? "text/html; charset=utf-8" : "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(root ? 200 : 404, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
