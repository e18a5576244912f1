package dev.tcpconnlat.it;

import static dev.tcpconnlat.it.TcpConnLatKernelTest.fromPid;
import static dev.tcpconnlat.it.TcpConnLatKernelTest.sleep;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** -d against a real DNS server (dnsmasq) on loopback, real lookups and real connects. */
class DnsKernelTest {
    static final Duration WAIT = TcpConnLatKernelTest.WAIT;
    /** How many names dnsmasq also answers (n0.many.tcpconnlat.test ...), each its own address. */
    static final int MANY = 2000;
    static Process dnsmasq;

    @BeforeAll
    static void startDnsServer() throws IOException {
        if (!Kernel.isRoot()) {
            return;
        }
        // MANY names, each with its own address (127.1.x.y), for the peer label's bound
        StringBuilder hosts = new StringBuilder();
        for (int i = 0; i < MANY; i++) {
            hosts.append(manyAddress(i)).append(' ').append(manyName(i)).append('\n');
        }
        java.nio.file.Path hostsFile = java.nio.file.Files.createTempFile("tcpconnlat-many", ".hosts");
        hostsFile.toFile().deleteOnExit();
        java.nio.file.Files.writeString(hostsFile, hosts);
        hostsFile.toFile().setReadable(true, false); // dnsmasq reads it as nobody
        dnsmasq = new ProcessBuilder("dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=53",
                "--listen-address=127.0.0.1", "--listen-address=::1", "--bind-interfaces", "--no-resolv",
                "--no-hosts", "--addn-hosts=" + hostsFile, "--log-facility=-",
                "--host-record=web.tcpconnlat.test,127.0.0.2",
                "--host-record=v6.tcpconnlat.test,::1")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        for (int i = 0; i < 100; i++) {
            try {
                lookup("127.0.0.1", "web.tcpconnlat.test", Type.A);
                return;
            } catch (IOException | AssertionError notYet) {
                sleep(50);
            }
        }
        throw new AssertionError("dnsmasq did not answer on 127.0.0.1:53");
    }

    @AfterAll
    static void stopDnsServer() {
        if (dnsmasq != null) {
            dnsmasq.destroy();
        }
    }

    @BeforeEach
    void root() {
        Kernel.requireRoot();
    }

    static void lookup(String server, String name, int type) throws IOException {
        SimpleResolver resolver = new SimpleResolver(server);
        resolver.setTimeout(Duration.ofSeconds(2));
        Message answer = resolver.send(Message.newQuery(
                org.xbill.DNS.Record.newRecord(Name.fromString(name + "."), type, DClass.IN)));
        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
    }

    static String query(String line) {
        return line.substring(line.indexOf(' ', 72) + 1);
    }

    @Test
    void connectShowsTheNameItsAddressCameFrom() throws IOException {
        try (Listener server = new Listener("127.0.0.2"); Tool tool = Tool.start("tcpconnect", "-d")) {
            assertThat(tool.header()).endsWith("DPORT  QUERY");
            lookup("127.0.0.1", "web.tcpconnlat.test", Type.A);
            Process client = Kernel.connect("127.0.0.2", server.port());
            String line = tool.await(l -> fromPid(l, client.pid()), WAIT);
            assertThat(line).endsWith(" web.tcpconnlat.test");
        }
    }

    @Test
    void aLateConnectShowsTheGapSinceTheAnswer() throws IOException {
        try (Listener server = new Listener("127.0.0.2"); Tool tool = Tool.start("tcpconnect", "-d")) {
            lookup("127.0.0.1", "web.tcpconnlat.test", Type.A);
            sleep(200);
            Process client = Kernel.connect("127.0.0.2", server.port());
            String line = tool.await(l -> fromPid(l, client.pid()), WAIT);
            Matcher m = Pattern.compile(" web\\.tcpconnlat\\.test \\((\\d+\\.\\d{3})ms\\)$").matcher(line);
            assertThat(m.find()).as(line).isTrue();
            assertThat(Double.parseDouble(m.group(1))).isBetween(200.0, 2000.0);
        }
    }

    @Test
    void addressesNeverLookedUpAreNamedAsBccDoes() {
        try (Listener other = new Listener("127.0.0.3"); Listener local = new Listener("127.0.0.1");
                Tool tool = Tool.start("tcpconnect", "-d")) {
            Process a = Kernel.connect("127.0.0.3", other.port());
            Process b = Kernel.connect("127.0.0.1", local.port());
            tool.awaitAll(List.of(l -> fromPid(l, a.pid()) && l.endsWith(" No DNS Query"),
                    l -> fromPid(l, b.pid()) && l.endsWith(" localhost")), WAIT);
        }
    }

    @Test
    void ipv6AnswersOverIpv6AndJsonAndTcpconnlat() throws Exception {
        try (Listener server = new Listener("::1"); Tool tool = Tool.start("tcpconnlat", "-d", "--json")) {
            lookup("::1", "v6.tcpconnlat.test", Type.AAAA);
            Process client = Kernel.connect("::1", server.port());
            String line = tool.await(l -> l.contains("\"pid\":" + client.pid() + ","), WAIT);
            assertThat(new ObjectMapper().readTree(line).get("query").asText()).isEqualTo("v6.tcpconnlat.test");
        }
    }

    /** Sends {@code payload} as one UDP datagram from 127.0.0.5:53 to a socket on this host. */
    static void respondFromPort53(byte[] payload) throws IOException {
        try (DatagramSocket server = new DatagramSocket(new InetSocketAddress("127.0.0.5", 53));
                DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            server.send(new DatagramPacket(payload, payload.length, client.getLocalSocketAddress()));
            client.receive(new DatagramPacket(new byte[65536], 65536));
        }
    }

    /**
     * An EDNS-sized answer (~1,700 bytes: 100 A records) names its address; in JSON the query is
     * the bare name and the gap its own field, and a connect no answer named has a null query.
     */
    @Test
    void answersLongerThan512BytesAreReadAndJsonQueryIsTheBareName() throws Exception {
        Name name = Name.fromString("big.tcpconnlat.test.");
        Message m = Message.newQuery(org.xbill.DNS.Record.newRecord(name, Type.A, DClass.IN));
        m.getHeader().setFlag(Flags.QR);
        for (int i = 1; i <= 100; i++) {
            m.addRecord(new ARecord(name, DClass.IN, 60, InetAddress.getByAddress(new byte[] {10, 9, 0, (byte) i})),
                    Section.ANSWER);
        }
        m.addRecord(new ARecord(name, DClass.IN, 60, InetAddress.getByName("127.0.0.7")), Section.ANSWER);
        byte[] wire = m.toWire();
        assertThat(wire.length).isBetween(1024, 4096);
        try (Listener named = new Listener("127.0.0.7"); Listener unnamed = new Listener("127.0.0.8");
                Tool text = Tool.start("tcpconnect", "-d"); Tool json = Tool.start("tcpconnlat", "-d", "--json")) {
            respondFromPort53(wire);
            Process a = Kernel.connect("127.0.0.7", named.port());
            Process b = Kernel.connect("127.0.0.8", unnamed.port());
            assertThat(text.await(l -> fromPid(l, a.pid()), WAIT)).endsWith(" big.tcpconnlat.test");
            ObjectMapper mapper = new ObjectMapper();
            List<String> lines = json.awaitAll(List.of(l -> l.contains("\"pid\":" + a.pid() + ","),
                    l -> l.contains("\"pid\":" + b.pid() + ",")), WAIT);
            JsonNode x = mapper.readTree(lines.get(0));
            JsonNode y = mapper.readTree(lines.get(1));
            assertThat(x.get("query").asText()).isEqualTo("big.tcpconnlat.test");
            assertThat(x.get("query_gap_us").isIntegralNumber()).isTrue();
            assertThat(x.get("query_gap_us").asLong()).isBetween(0L, 10_000_000L);
            assertThat(y.get("query").isNull()).isTrue();
            assertThat(y.get("query_gap_us").isNull()).isTrue();
        }
    }

    /** What cannot be read is said at exit, in one line, without -v. */
    @Test
    void unreadableResponsesAreCountedAtExit() throws Exception {
        try (Tool tool = Tool.start("tcpconnlat", "-d")) {
            // a response header announcing 5 questions, and none (no TC flag: dnsjava would accept a cut one)
            respondFromPort53(new byte[] {0, 1, (byte) 0x80, 0, 0, 5, 0, 0, 0, 0, 0, 0, 1, 2, 3});
            byte[] huge = new byte[5000];
            huge[2] = (byte) 0x80; // QR
            respondFromPort53(huge);
            sleep(300);
            assertThat(tool.interrupt()).isZero();
            assertThat(tool.stderr()).isEqualTo("tcpconnlat: 2 DNS responses could not be read "
                    + "(1 malformed, 1 longer than 4096 bytes)\n");
        }
    }

    static String manyName(int i) {
        return "n" + i + ".many.tcpconnlat.test";
    }

    static String manyAddress(int i) {
        return "127.1." + (i / 250) + "." + (i % 250 + 1);
    }

    /**
     * The peer label, in the exporter and in -H --by peer: a destination is the name whose answer
     * (from dnsmasq, to this host's look-up) held its address; 127.0.0.1 and ::1 are localhost
     * until an answer names them; an address no answer named is unknown. A connect made right
     * after the look-up (before user space has read the answer) counts under the name too.
     */
    @Test
    void peersByDnsName() throws Exception {
        int closed = ExporterKernelTest.freePort();
        try (ExporterKernelTest.Served exporter = ExporterKernelTest.Served.start("--labels", "peer");
                Tool h = Tool.start("tcpconnlat", "-H", "--by", "peer")) {
            java.util.Map<String, Long> before = ExporterKernelTest.refusedCounts(exporter.scrape());
            Kernel.waitFor(Kernel.bash("exec 3<>/dev/tcp/::1/" + closed + " 2>/dev/null; true"));
            lookup("127.0.0.1", "web.tcpconnlat.test", Type.A);
            Kernel.waitFor(Kernel.bash("exec 3<>/dev/tcp/127.0.0.2/" + closed + " 2>/dev/null; true"));
            Kernel.waitFor(Kernel.bash("exec 3<>/dev/tcp/127.0.0.9/" + closed + " 2>/dev/null; true"));
            lookup("::1", "v6.tcpconnlat.test", Type.AAAA);
            Kernel.waitFor(Kernel.bash("exec 3<>/dev/tcp/::1/" + closed + " 2>/dev/null; true"));
            java.util.Map<String, Long> expected = java.util.Map.of(
                    "{family=\"ipv6\",peer=\"localhost\",result=\"refused\"}", 1L,
                    "{family=\"ipv4\",peer=\"web.tcpconnlat.test\",result=\"refused\"}", 1L,
                    "{family=\"ipv4\",peer=\"unknown\",result=\"refused\"}", 1L,
                    "{family=\"ipv6\",peer=\"v6.tcpconnlat.test\",result=\"refused\"}", 1L);
            ExporterKernelTest.await(() -> exporter.refusedSince(before).keySet().containsAll(expected.keySet()),
                    "the four connects under their peers");
            assertThat(exporter.refusedSince(before)).isEqualTo(expected);
            sleep(300);
            assertThat(h.interrupt()).isZero();
            List<String> sections = h.lines(Duration.ofMillis(500)).stream().filter(l -> l.startsWith("peer = ")).toList();
            assertThat(sections).contains("peer = web.tcpconnlat.test", "peer = unknown", "peer = v6.tcpconnlat.test");
        }
    }

    /**
     * -H --by peer counts every connect: three to addresses no answer named (each its own key by
     * address in the kernel, all "unknown": they once collapsed into one, and two were lost) and
     * two right after a look-up.
     */
    @Test
    void histogramByPeerCountsEveryConnect() throws Exception {
        int closed = ExporterKernelTest.freePort();
        try (Tool h = Tool.start("tcpconnlat", "-H", "--by", "peer")) {
            for (String unnamed : List.of("127.0.0.9", "127.0.0.10", "127.0.0.11")) {
                Kernel.waitFor(Kernel.bash("exec 3<>/dev/tcp/" + unnamed + "/" + closed + " 2>/dev/null; true"));
            }
            for (int i = 0; i < 2; i++) {
                lookup("127.0.0.1", "web.tcpconnlat.test", Type.A);
                Kernel.waitFor(Kernel.bash("exec 3<>/dev/tcp/127.0.0.2/" + closed + " 2>/dev/null; true"));
            }
            assertThat(h.interrupt()).isZero();
            List<String> lines = h.lines(Duration.ofMillis(500));
            java.util.Map<String, Long> counts = HistogramKernelTest.counts(lines);
            assertThat(counts).as(lines.toString()).containsEntry("peer = web.tcpconnlat.test", 2L);
            assertThat(counts.get("peer = unknown")).as(lines.toString()).isGreaterThanOrEqualTo(3);
        }
    }

    /**
     * 2,000 names in the answers, one connect to each name's address: the exporter keeps the
     * first --peers.max (default 1,000) names apart and counts the rest under other; every
     * connect is counted, none dropped.
     */
    @Test
    void peerNamesAreBoundedAndNothingIsDropped() throws Exception {
        int closed = ExporterKernelTest.freePort();
        try (ExporterKernelTest.Served exporter = ExporterKernelTest.Served.start("--labels", "peer")) {
            SimpleResolver resolver = new SimpleResolver("127.0.0.1");
            resolver.setTimeout(Duration.ofSeconds(2));
            for (int i = 0; i < MANY; i++) {
                Message answer = resolver.send(Message.newQuery(org.xbill.DNS.Record.newRecord(
                        Name.fromString(manyName(i) + "."), Type.A, DClass.IN)));
                assertThat(answer.getSectionArray(Section.ANSWER)).hasSize(1);
                try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(
                        java.net.StandardProtocolFamily.INET)) {
                    c.connect(new InetSocketAddress(InetAddress.getByName(manyAddress(i)), closed));
                } catch (java.net.ConnectException refused) {
                    // as meant
                }
            }
            java.util.Map<String, Long> byPeer = new java.util.TreeMap<>();
            ExporterKernelTest.await(() -> {
                byPeer.clear();
                ExporterKernelTest.refusedCounts(exporter.scrape()).forEach((k, v) -> {
                    Matcher m = Pattern.compile("peer=\"([^\"]*)\"").matcher(k);
                    if (m.find() && !m.group(1).equals("localhost")) {
                        byPeer.merge(m.group(1), v, Long::sum);
                    }
                });
                return byPeer.values().stream().mapToLong(Long::longValue).sum() == MANY;
            }, MANY + " refused connects counted");
            assertThat(byPeer).hasSize(1000 + 1);
            assertThat(byPeer.get("other")).isEqualTo(1000L);
            assertThat(byPeer).containsEntry(manyName(0), 1L).containsEntry(manyName(999), 1L)
                    .doesNotContainKey(manyName(1000));
            String body = exporter.scrape();
            assertThat(body).contains("tcpconnlat_exporter_peer_names 1000.0", "tcpconnlat_exporter_series_dropped_total 0.0",
                    "tcpconnlat_exporter_peer_names_over_max_total 1000.0",
                    "tcpconnlat_exporter_dns_responses_lost_total 0.0");
        }
    }
}
