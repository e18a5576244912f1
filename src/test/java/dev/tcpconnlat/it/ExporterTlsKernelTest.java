package dev.tcpconnlat.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * --web.config.file as node_exporter users write it (exporter-toolkit's format): certificates
 * made here by openssl, users hashed by htpasswd -B, checked with curl and a real Prometheus
 * scraping with tls_config and basic_auth; the file read again when it changes; a bad file is
 * one line, exit 1, nothing attached.
 */
class ExporterTlsKernelTest {
    private static Path dir;
    private static String hash;

    @BeforeAll
    static void certificates() throws IOException {
        if (!Kernel.isRoot()) {
            return;
        }
        dir = Files.createTempDirectory("tcpconnlat-tls");
        sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca"
                + " && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost"
                + " && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext"
                + " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2"
                + " -extfile san.ext"
                + " && openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=prometheus"
                + " && openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2"
                + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -days 2 -subj /CN=other");
        hash = sh("htpasswd -nbB -C 10 prometheus 's3cret pass' | cut -d: -f2").trim();
    }

    @BeforeEach
    void root() {
        Kernel.requireRoot();
    }

    @Test
    void tlsBasicAuthClientCertificatesAndReload() throws Exception {
        Path web = dir.resolve("web.yml");
        Files.writeString(web, """
                tls_server_config:
                  cert_file: server.crt
                  key_file: server.key
                basic_auth_users:
                  prometheus: '%s'
                """.formatted(hash));
        int port = ExporterKernelTest.freePort();
        String url = "https://localhost:" + port;
        Path log = dir.resolve("exporter.log");
        Process exporter = new ProcessBuilder(Tool.command("tcpconnlat-exporter", "--web.listen-address",
                "127.0.0.1:" + port, "--web.config.file", web.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            awaitStatus(url + "/-/healthy", "401", "");
            assertThat(curl(url + "/metrics", "-u", "prometheus:s3cret pass")).isEqualTo("200");
            assertThat(curl(url + "/metrics", "-u", "prometheus:wrong")).isEqualTo("401");
            assertThat(curl(url + "/metrics", "-u", "nobody:s3cret pass")).isEqualTo("401");
            assertThat(curl(url + "/metrics")).isEqualTo("401");
            assertThat(curl(url.replace("https", "http") + "/metrics", "-u", "prometheus:s3cret pass"))
                    .as("plain HTTP to the TLS port").isNotEqualTo("200");

            // read again when it changes: a client certificate required, verified against the CA
            Files.writeString(web, """
                    tls_server_config:
                      cert_file: server.crt
                      key_file: server.key
                      client_auth_type: RequireAndVerifyClientCert
                      client_ca_file: ca.crt
                      min_version: TLS13
                    basic_auth_users:
                      prometheus: '%s'
                    """.formatted(hash));
            String[] client = {"--cert", dir.resolve("client.crt").toString(), "--key", dir.resolve("client.key").toString()};
            awaitStatus(url + "/metrics", "000", "-u", "prometheus:s3cret pass");
            assertThat(curl(url + "/metrics", "-u", "prometheus:s3cret pass", client[0], client[1], client[2], client[3]))
                    .isEqualTo("200");
            // a certificate the CA did not sign: the handshake fails
            assertThat(curl(url + "/metrics", "-u", "prometheus:s3cret pass", "--cert", dir.resolve("other.crt").toString(),
                    "--key", dir.resolve("other.key").toString())).isEqualTo("000");

            // a real Prometheus with tls_config and basic_auth
            Files.writeString(dir.resolve("prometheus.yml"), """
                    global:
                      scrape_interval: 1s
                    scrape_configs:
                      - job_name: tls
                        scheme: https
                        tls_config: {ca_file: %1$s/ca.crt, cert_file: %1$s/client.crt, key_file: %1$s/client.key}
                        basic_auth: {username: prometheus, password: 's3cret pass'}
                        static_configs:
                          - targets: ['localhost:%2$d']
                    """.formatted(dir, port));
            int promPort = ExporterKernelTest.freePort();
            Process prometheus = new ProcessBuilder("prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                    "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + promPort)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            try {
                String query = "http://127.0.0.1:" + promPort + "/api/v1/query?query=up";
                long deadline = System.nanoTime() + 30_000_000_000L;
                String body = null;
                while (System.nanoTime() < deadline) {
                    body = ExporterKernelTest.get(query);
                    if (body != null && body.contains("\"job\":\"tls\"") && body.contains("\"1\"]")) {
                        break;
                    }
                    TcpConnLatKernelTest.sleep(500);
                }
                assertThat(body).as("up of the TLS target").contains("\"job\":\"tls\"").contains("\"1\"]");
            } finally {
                prometheus.destroy();
                prometheus.waitFor(10, TimeUnit.SECONDS);
            }

            // a change that cannot be used: one line each, and the last good file is kept: one that does
            // not read, one emptied (as editors do before they write), one deleted, one without TLS
            String good = Files.readString(web);
            for (String bad : List.of("tls_server_config: [\n", "", "(deleted)", "basic_auth_users: {}\n")) {
                if (bad.equals("(deleted)")) {
                    Files.delete(web);
                } else {
                    Files.writeString(web, bad);
                }
                TcpConnLatKernelTest.sleep(1500);
                assertThat(curl(url + "/metrics", "-u", "prometheus:s3cret pass", client[0], client[1], client[2], client[3]))
                        .as("with a bad file: " + bad).isEqualTo("200");
                assertThat(curl(url + "/-/healthy", client[0], client[1], client[2], client[3])).isEqualTo("401");
            }
            assertThat(Files.readAllLines(log)).filteredOn(l -> l.contains("the last good web config is kept"))
                    .hasSize(4).anyMatch(l -> l.endsWith(": empty (the last good web config is kept)"))
                    .anyMatch(l -> l.endsWith(": no such file (the last good web config is kept)"))
                    .anyMatch(l -> l.contains("TLS turned off: that needs a restart"));
            Files.writeString(web, good.replace("min_version: TLS13\n", ""));
            TcpConnLatKernelTest.sleep(1500);
            assertThat(curl(url + "/metrics", "-u", "prometheus:s3cret pass", client[0], client[1], client[2], client[3]))
                    .as("a good file again").isEqualTo("200");
        } finally {
            exporter.destroy();
            exporter.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aBadFileIsOneLineAndNothingIsAttached() throws Exception {
        List<Integer> before = Kernel.loadedPrograms();
        for (String body : List.of(
                "tls_server_config: [",
                "tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key",
                "tls_server_config:\n  cert_file: server.crt\n  key_file: client.key",
                "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert",
                "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cipher_suites: [x]",
                "basic_auth_users:\n  prometheus: s3cret")) {
            Path web = dir.resolve("bad.yml");
            Files.writeString(web, body + "\n");
            Process p = new ProcessBuilder(Tool.command("tcpconnlat-exporter", "--web.listen-address",
                    "127.0.0.1:" + ExporterKernelTest.freePort(), "--web.config.file", web.toString())).redirectErrorStream(true).start();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).as(body).isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as(body + ": " + out).isEqualTo(1);
            assertThat(out.lines()).as(body).hasSize(1);
            assertThat(out).startsWith("tcpconnlat-exporter: --web.config.file " + web + ": ");
        }
        assertThat(Kernel.loadedPrograms()).as("programs loaded").containsExactlyInAnyOrderElementsOf(before);
    }

    /** curl's status code ("000": no HTTP answer, e.g. a failed TLS handshake). */
    private static String curl(String url, String... args) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "--max-time", "10", "--cacert", dir.resolve("ca.crt").toString()));
        argv.addAll(List.of(args));
        argv.add(url);
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.waitFor(20, TimeUnit.SECONDS);
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    }

    private static void awaitStatus(String url, String status, String... args) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        String last = null;
        while (System.nanoTime() < deadline) {
            last = curl(url, args.length == 1 && args[0].isEmpty() ? new String[0] : args);
            if (last.equals(status)) {
                return;
            }
            TcpConnLatKernelTest.sleep(250);
        }
        throw new AssertionError("waited 30 s for " + status + " from " + url + ", last " + last);
    }

    private static String sh(String script) {
        try {
            Process p = new ProcessBuilder("bash", "-c", script).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(script).isZero();
            return out;
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

}
