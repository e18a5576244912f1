package dev.tcpconnlat.exporter;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.function.Consumer;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
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
 * taken within {@link #RESPONSE_SECONDS}. A client that goes away is not logged. Once a stop
 * has begun, new requests get 503 and scrapes in flight are written to the end (from their
 * snapshot: the BPF side can be detached meanwhile), for up to {@link #DRAIN_SECONDS}.
 * <p>
 * With a {@link WebConfig}: TLS (HTTPS) and basic auth on every path, as exporter-toolkit does.
 * The file is read again when it changes (checked at most once a second, at a request or a TLS
 * handshake): certificates, keys, client auth and users take effect without a restart. Any file
 * that cannot be used is reported once and the last good one kept: one that no longer reads, one
 * deleted, one emptied (editors and config tools truncate before they write: an empty file must
 * not turn basic auth off for a moment), one that turns TLS on or off (that needs a restart).
 */
public final class Web implements AutoCloseable {
    static final int REQUEST_SECONDS = 10;
    static final int RESPONSE_SECONDS = 60;
    static final int DRAIN_SECONDS = 5;
    private static final int BUFFER = 64 * 1024;
    /** Held: java.util.logging keeps loggers weakly, and a collected one would lose its level. */
    private static final Logger HTTP_LOG = Logger.getLogger("com.sun.net.httpserver");

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final PrometheusRegistry registry;
    private final String telemetryPath;
    private final ExpositionFormats formats = ExpositionFormats.init();
    private final Path configFile;
    private final Consumer<String> warn;
    private volatile WebConfig config;
    private long configCheckedAt = System.nanoTime();
    /** The config file's mtime and size when last read (null: missing): a change of either is read. */
    private Seen configSeen;

    private record Seen(java.nio.file.attribute.FileTime modified, long size) {}
    private CompletableFuture<MetricSnapshots> reading;
    private volatile boolean closing;

    private Web(InetSocketAddress address, PrometheusRegistry registry, String telemetryPath, Path configFile,
            WebConfig config, Consumer<String> warn) throws IOException {
        this.registry = registry;
        this.telemetryPath = telemetryPath;
        this.configFile = configFile;
        this.config = config;
        this.warn = warn;
        this.configSeen = seen(configFile);
        if (config.tls()) {
            HttpsServer https = HttpsServer.create(address, 64);
            SSLContext tls;
            try {
                tls = SSLContext.getInstance("TLS");
                tls.init(new KeyManager[] {new CurrentKey()}, new TrustManager[] {new CurrentClientTrust()}, null);
            } catch (GeneralSecurityException e) {
                throw new IOException(e.getMessage(), e);
            }
            https.setHttpsConfigurator(new HttpsConfigurator(tls) {
                @Override
                public void configure(HttpsParameters p) {
                    WebConfig c = config();
                    SSLParameters params = tls.getDefaultSSLParameters();
                    params.setProtocols(c.protocols());
                    if (c.clientAuth().need) {
                        params.setNeedClientAuth(true);
                    } else if (c.clientAuth().want) {
                        params.setWantClientAuth(true);
                    }
                    p.setSSLParameters(params);
                }
            });
            server = https;
        } else {
            server = HttpServer.create(address, 64);
        }
    }

    /**
     * Serves {@code registry} on {@code address}, with the TLS and users of {@code config} (read
     * from {@code configFile}, null for none; {@code warn} hears of a changed file that does not
     * read); throws IOException when it cannot listen.
     */
    public static Web start(InetSocketAddress address, String telemetryPath, PrometheusRegistry registry, Path configFile,
            WebConfig config, Consumer<String> warn) throws IOException {
        // read once by the JDK's server, when its first instance is made
        System.setProperty("sun.net.httpserver.maxReqTime", Integer.toString(REQUEST_SECONDS));
        System.setProperty("sun.net.httpserver.maxRspTime", Integer.toString(RESPONSE_SECONDS));
        HTTP_LOG.setLevel(Level.OFF); // broken pipes of clients that went away: not our error
        Web web = new Web(address, registry, telemetryPath, configFile, config, warn);
        web.server.createContext("/", web::handle);
        web.server.setExecutor(web.executor);
        web.server.start();
        return web;
    }

    /** The web config now: read again if its file changed (looked at, at most once a second). */
    private WebConfig config() {
        if (configFile == null) {
            return config;
        }
        synchronized (this) {
            long now = System.nanoTime();
            if (now - configCheckedAt >= 1_000_000_000L) {
                configCheckedAt = now;
                Seen seen = seen(configFile);
                if (!java.util.Objects.equals(seen, configSeen)) {
                    configSeen = seen;
                    try {
                        config = reread();
                    } catch (IllegalArgumentException e) {
                        warn.accept(e.getMessage() + " (the last good web config is kept)");
                    }
                }
            }
            return config;
        }
    }

    /** The changed config file, if it can replace the running one; IllegalArgumentException (one line) if not. */
    private WebConfig reread() {
        if (configSeen != null && configSeen.size() == 0) {
            throw new IllegalArgumentException("--web.config.file " + configFile + ": empty");
        }
        WebConfig c = WebConfig.read(configFile);
        if (c.tls() != config.tls()) {
            throw new IllegalArgumentException("--web.config.file " + configFile + ": TLS turned "
                    + (c.tls() ? "on" : "off") + ": that needs a restart");
        }
        return c;
    }

    private static Seen seen(Path file) {
        try {
            return file == null ? null : new Seen(Files.getLastModifiedTime(file), Files.size(file));
        } catch (IOException e) {
            return null;
        }
    }

    /** basic_auth_users: whether the request names a user with the right password. */
    private static boolean authorized(WebConfig c, HttpExchange exchange) {
        if (!c.authenticates()) {
            return true;
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return false;
        }
        String userPassword;
        try {
            userPassword = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
        int colon = userPassword.indexOf(':');
        return colon > 0 && c.allows(userPassword.substring(0, colon), userPassword.substring(colon + 1));
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (!authorized(config(), exchange)) {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"tcpconnlat-exporter\"");
                send(exchange, 401, "text/plain; charset=utf-8", "Unauthorized\n");
            } else if (path.equals(telemetryPath)) {
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
        MetricSnapshots snapshots;
        try {
            snapshots = snapshot();
        } catch (ConnectMetrics.Stopped e) {
            send(exchange, 503, "text/plain; charset=utf-8", "Stopping\n");
            return;
        }
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
        try {
            return r.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, exchange.getRequestMethod().equals("HEAD") ? -1 : bytes.length);
        if (!exchange.getRequestMethod().equals("HEAD")) {
            exchange.getResponseBody().write(bytes);
        }
    }

    /** The server's certificate and key: those of the web config now. */
    private final class CurrentKey extends X509ExtendedKeyManager {
        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return config().keyManager().chooseEngineServerAlias(keyType, issuers, engine);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return config().keyManager().chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return config().keyManager().getServerAliases(keyType, issuers);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return config().keyManager().getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return config().keyManager().getPrivateKey(alias);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }

    /** Client certificates: checked against client_ca_file when client_auth_type verifies, else taken as they come. */
    private final class CurrentClientTrust extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            WebConfig c = config();
            if (c.clientAuth().verify) {
                c.clientTrust().checkClientTrusted(chain, authType);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a server does not check servers");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            WebConfig c = config();
            return c.clientAuth().verify ? c.clientTrust().getAcceptedIssuers() : new X509Certificate[0];
        }
    }

    /** From now on, requests get 503 (a stop has begun); scrapes in flight go on. */
    public void refuse() {
        closing = true;
    }

    /**
     * Refuses new requests, gives those in flight up to {@link #DRAIN_SECONDS} to finish (a
     * scrape of 10,000 series takes under a second; many at once, longer), then closes the port.
     */
    @Override
    public void close() {
        closing = true;
        server.stop(DRAIN_SECONDS);
        executor.shutdownNow();
    }
}
