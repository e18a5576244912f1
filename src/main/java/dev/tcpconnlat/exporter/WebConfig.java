package dev.tcpconnlat.exporter;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;

/**
 * {@code --web.config.file}, in the format of Prometheus' exporter-toolkit (as node_exporter
 * reads it): TLS and basic auth.
 * <pre>
 * tls_server_config:
 *   cert_file: server.crt           # PEM; relative paths are below the config file's directory
 *   key_file: server.key            # PEM, PKCS#8 or PKCS#1 (RSA)
 *   client_auth_type: RequireAndVerifyClientCert   # NoClientCert (default), RequestClientCert,
 *                                   # RequireAnyClientCert, VerifyClientCertIfGiven
 *   client_ca_file: ca.crt          # needed by the two that verify
 *   min_version: TLS12              # TLS10 .. TLS13 (default TLS12); also max_version
 * basic_auth_users:
 *   prometheus: $2y$10$...          # bcrypt (htpasswd -nbB prometheus PASSWORD)
 * </pre>
 * Any other key is an error, as exporter-toolkit's strict parsing makes it. Every problem is one
 * line naming the file and the key.
 */
public final class WebConfig {
    /** exporter-toolkit's client_auth_type values. */
    public enum ClientAuth {
        NoClientCert(false, false, false),
        RequestClientCert(true, false, false),
        RequireAnyClientCert(false, true, false),
        VerifyClientCertIfGiven(true, false, true),
        RequireAndVerifyClientCert(false, true, true);

        final boolean want;
        final boolean need;
        final boolean verify;

        ClientAuth(boolean want, boolean need, boolean verify) {
            this.want = want;
            this.need = need;
            this.verify = verify;
        }
    }

    private static final List<String> VERSIONS = List.of("TLS10", "TLS11", "TLS12", "TLS13");
    private static final Set<String> TOP = Set.of("tls_server_config", "basic_auth_users");
    private static final Set<String> TLS_KEYS = Set.of("cert_file", "key_file", "client_auth_type", "client_ca_file",
            "min_version", "max_version");
    /** A bcrypt hash (Modular Crypt Format): $2a$, $2b$ or $2y$, cost, 53 characters. */
    private static final Pattern BCRYPT_HASH = Pattern.compile("\\$2[aby]\\$\\d\\d\\$[./A-Za-z0-9]{53}");
    /** Checked against for unknown users, so that a wrong name takes as long as a wrong password. */
    private static final String DUMMY_HASH = "$2y$10$3kjUU.uxFqx1rcmKn6184OLoTue3BFmOcJ4/Fc0oYvS5nCB.KSs/a";

    private final boolean tls;
    private final X509ExtendedKeyManager keyManager;
    private final X509TrustManager clientTrust;
    private final ClientAuth clientAuth;
    private final String[] protocols;
    private final Map<String, String> users;
    /** user ":" SHA-256 of the password, for passwords already checked (bcrypt costs ~100 ms on purpose). */
    private final Set<String> verified = ConcurrentHashMap.newKeySet();

    private WebConfig(boolean tls, X509ExtendedKeyManager keyManager, X509TrustManager clientTrust, ClientAuth clientAuth,
            String[] protocols, Map<String, String> users) {
        this.tls = tls;
        this.keyManager = keyManager;
        this.clientTrust = clientTrust;
        this.clientAuth = clientAuth;
        this.protocols = protocols;
        this.users = users;
    }

    /** No file: plain HTTP, no auth. */
    public static final WebConfig NONE = new WebConfig(false, null, null, ClientAuth.NoClientCert, null, Map.of());

    public boolean tls() {
        return tls;
    }

    X509ExtendedKeyManager keyManager() {
        return keyManager;
    }

    X509TrustManager clientTrust() {
        return clientTrust;
    }

    ClientAuth clientAuth() {
        return clientAuth;
    }

    String[] protocols() {
        return protocols.clone();
    }

    /** Whether requests need a user and password. */
    boolean authenticates() {
        return !users.isEmpty();
    }

    /** Whether {@code user} has {@code password}. */
    boolean allows(String user, String password) {
        String key = user + ":" + sha256(password);
        if (verified.contains(key)) {
            return true;
        }
        String hash = users.get(user);
        boolean ok = BCrypt.verifyer().verify(password.toCharArray(), (hash == null ? DUMMY_HASH : hash).toCharArray())
                .verified && hash != null;
        if (ok) {
            verified.add(key);
        }
        return ok;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads and checks {@code file}, and the certificates and key it names; IllegalArgumentException: one line. */
    public static WebConfig read(Path file) {
        String where = "--web.config.file " + file + ": ";
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(file));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(where + "not YAML: " + e.getOriginalMessage().lines().findFirst().orElse("")
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()));
        } catch (IOException e) {
            throw new IllegalArgumentException(where + (e instanceof java.nio.file.NoSuchFileException ? "no such file"
                    : e.getMessage()));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return NONE;
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException(where + "not a YAML mapping");
        }
        only(root, TOP, where);
        Path dir = file.toAbsolutePath().getParent();
        JsonNode t = root.get("tls_server_config");
        Map<String, String> users = users(root.get("basic_auth_users"), where);
        if (t == null || t.isNull()) {
            return new WebConfig(false, null, null, ClientAuth.NoClientCert, null, users);
        }
        if (!t.isObject()) {
            throw new IllegalArgumentException(where + "tls_server_config is not a mapping");
        }
        only(t, TLS_KEYS, where + "tls_server_config: ");
        String certFile = text(t, "cert_file", where);
        String keyFile = text(t, "key_file", where);
        if (certFile == null || keyFile == null) {
            throw new IllegalArgumentException(where + "tls_server_config needs cert_file and key_file");
        }
        ClientAuth auth = ClientAuth.NoClientCert;
        String authName = text(t, "client_auth_type", where);
        if (authName != null) {
            try {
                auth = ClientAuth.valueOf(authName);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + "client_auth_type is one of " + List.of(ClientAuth.values())
                        + ", not '" + authName + "'");
            }
        }
        String caFile = text(t, "client_ca_file", where);
        if (auth.verify && caFile == null) {
            throw new IllegalArgumentException(where + "client_auth_type " + auth + " needs client_ca_file");
        }
        int min = version(t, "min_version", "TLS12", where);
        int max = version(t, "max_version", "TLS13", where);
        if (min > max) {
            throw new IllegalArgumentException(where + "min_version is above max_version");
        }
        List<String> protocols = new ArrayList<>();
        for (int v = min; v <= max; v++) {
            protocols.add("TLSv1." + v);
        }
        X509TrustManager trust = caFile == null ? null : trustManager(resolve(dir, caFile), where + "client_ca_file ");
        return new WebConfig(true, keyManager(resolve(dir, certFile), where + "cert_file ", resolve(dir, keyFile),
                where + "key_file "), trust, auth,
                protocols.toArray(String[]::new), users);
    }

    private static void only(JsonNode node, Set<String> keys, String where) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
            String k = it.next();
            if (!keys.contains(k)) {
                throw new IllegalArgumentException(where + "'" + k + "' is not supported (only " + String.join(", ",
                        keys.stream().sorted().toList()) + ")");
            }
        }
    }

    private static String text(JsonNode node, String key, String where) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw new IllegalArgumentException(where + key + " must be a non-empty string");
        }
        return v.asText();
    }

    /** The minor version of TLS1.x for TLS10 .. TLS13. */
    private static int version(JsonNode t, String key, String otherwise, String where) {
        String v = text(t, key, where);
        int i = VERSIONS.indexOf(v == null ? otherwise : v);
        if (i < 0) {
            throw new IllegalArgumentException(where + key + " is one of " + VERSIONS + ", not '" + v + "'");
        }
        return i;
    }

    private static Map<String, String> users(JsonNode node, String where) {
        Map<String, String> users = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return users;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + "basic_auth_users is not a mapping of user to bcrypt hash");
        }
        for (Map.Entry<String, JsonNode> u : node.properties()) {
            String hash = u.getValue().isTextual() ? u.getValue().asText() : "";
            if (!BCRYPT_HASH.matcher(hash).matches()) {
                throw new IllegalArgumentException(where + "basic_auth_users: the password of '" + u.getKey()
                        + "' is not a bcrypt hash (make one with htpasswd -nbB USER PASSWORD)");
            }
            if (u.getKey().contains(":")) {
                throw new IllegalArgumentException(where + "basic_auth_users: a user name cannot hold ':'");
            }
            users.put(u.getKey(), hash);
        }
        return users;
    }

    private static Path resolve(Path dir, String file) {
        Path p = Path.of(file);
        return p.isAbsolute() || dir == null ? p : dir.resolve(p);
    }

    /**
     * A certificate chain and its key, PEM (also the OTLP push's client certificate); each file
     * named in errors as {@code certName}/{@code keyName} say ("tls_server_config: cert_file ").
     */
    static X509ExtendedKeyManager keyManager(Path certFile, String certName, Path keyFile, String keyName) {
        List<Certificate> chain = certificates(certFile, certName);
        PrivateKey key = privateKey(keyFile, keyName);
        if (!matches(key, chain.getFirst())) {
            throw new IllegalArgumentException(keyName + keyFile + " is not the key of the certificate in "
                    + certName + certFile);
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("server", key, new char[0], chain.toArray(Certificate[]::new));
            KeyManagerFactory f = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            f.init(store, new char[0]);
            return (X509ExtendedKeyManager) f.getKeyManagers()[0];
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("the key of " + keyName + keyFile + " does not go with the "
                    + "certificate of " + certName + certFile + " (" + e.getMessage() + ")");
        }
    }

    /** Whether {@code key} signs what the certificate's public key verifies. */
    private static boolean matches(PrivateKey key, Certificate cert) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return true; // the TLS handshake will tell
        }
        try {
            byte[] data = "tcpconnlat".getBytes(StandardCharsets.US_ASCII);
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(key);
            sign.update(data);
            byte[] signature = sign.sign();
            Signature verify = Signature.getInstance(algorithm);
            verify.initVerify(cert.getPublicKey());
            verify.update(data);
            return verify.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** PEM certificates to trust (also the OTLP push's --otlp.certificate). */
    static X509TrustManager trustManager(Path caFile, String where) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int i = 0;
            for (Certificate c : certificates(caFile, where)) {
                store.setCertificateEntry("ca" + i++, c);
            }
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init(store);
            return (X509TrustManager) f.getTrustManagers()[0];
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(where + caFile + ": " + e.getMessage());
        }
    }

    private static List<Certificate> certificates(Path file, String where) {
        try {
            List<Certificate> certs = new ArrayList<>(CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file))));
            if (certs.isEmpty()) {
                throw new IllegalArgumentException(where + file + ": no PEM certificate in it");
            }
            return certs;
        } catch (IOException e) {
            throw new IllegalArgumentException(where + file + ": " + (e instanceof java.nio.file.NoSuchFileException
                    ? "no such file" : e.getMessage()));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(where + file + ": not a PEM certificate (" + e.getMessage() + ")");
        }
    }

    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    /** A PEM private key: PKCS#8 (BEGIN PRIVATE KEY), or an RSA one in PKCS#1 (BEGIN RSA PRIVATE KEY). */
    private static PrivateKey privateKey(Path file, String where) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + file + ": " + (e instanceof java.nio.file.NoSuchFileException
                    ? "no such file" : e.getMessage()));
        }
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            byte[] der = Base64.getMimeDecoder().decode(m.group(2));
            switch (m.group(1)) {
                case "PRIVATE KEY" -> {
                    for (String algorithm : List.of("RSA", "EC", "Ed25519", "RSASSA-PSS")) {
                        try {
                            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                        } catch (GeneralSecurityException e) {
                            // the next algorithm
                        }
                    }
                    throw new IllegalArgumentException(where + file + ": a PKCS#8 key of an algorithm this JVM cannot read");
                }
                case "RSA PRIVATE KEY" -> {
                    try {
                        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8OfRsa(der)));
                    } catch (GeneralSecurityException e) {
                        throw new IllegalArgumentException(where + file + ": not an RSA key (" + e.getMessage() + ")");
                    }
                }
                case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException(where + file
                        + ": the key is encrypted (exporter-toolkit reads unencrypted keys too)");
                default -> {
                    // e.g. EC PARAMETERS before the key: the next block
                }
            }
        }
        throw new IllegalArgumentException(where + file + ": no PEM private key (BEGIN PRIVATE KEY or BEGIN RSA "
                + "PRIVATE KEY) in it; convert others with: openssl pkcs8 -topk8 -nocrypt -in KEY");
    }

    /** PKCS#1 RSAPrivateKey DER wrapped into PKCS#8's PrivateKeyInfo (version 0, rsaEncryption, the key). */
    private static byte[] pkcs8OfRsa(byte[] pkcs1) {
        byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01,
            0x01, 0x05, 0x00};
        byte[] version = {0x02, 0x01, 0x00};
        byte[] octets = der(0x04, pkcs1);
        byte[] body = new byte[version.length + algorithm.length + octets.length];
        System.arraycopy(version, 0, body, 0, version.length);
        System.arraycopy(algorithm, 0, body, version.length, algorithm.length);
        System.arraycopy(octets, 0, body, version.length + algorithm.length, octets.length);
        return der(0x30, body);
    }

    private static byte[] der(int tag, byte[] content) {
        int n = content.length;
        byte[] length = n < 0x80 ? new byte[] {(byte) n}
                : n < 0x100 ? new byte[] {(byte) 0x81, (byte) n}
                : n < 0x10000 ? new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n}
                : new byte[] {(byte) 0x83, (byte) (n >> 16), (byte) (n >> 8), (byte) n};
        byte[] out = new byte[1 + length.length + n];
        out[0] = (byte) tag;
        System.arraycopy(length, 0, out, 1, length.length);
        System.arraycopy(content, 0, out, 1 + length.length, n);
        return out;
    }
}
