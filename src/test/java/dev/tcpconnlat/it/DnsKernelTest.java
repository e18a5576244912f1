package dev.tcpconnlat.it;

import static dev.tcpconnlat.it.TcpConnLatKernelTest.fromPid;
import static dev.tcpconnlat.it.TcpConnLatKernelTest.sleep;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
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
import org.xbill.DNS.Type;

/** -d against a real DNS server (dnsmasq) on loopback, real lookups and real connects. */
class DnsKernelTest {
    static final Duration WAIT = TcpConnLatKernelTest.WAIT;
    static Process dnsmasq;

    @BeforeAll
    static void startDnsServer() throws IOException {
        if (!Kernel.isRoot()) {
            return;
        }
        dnsmasq = new ProcessBuilder("dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=53",
                "--listen-address=127.0.0.1", "--listen-address=::1", "--bind-interfaces", "--no-resolv",
                "--no-hosts", "--log-facility=-",
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
            assertThat(tool.await(l -> fromPid(l, a.pid()), WAIT)).endsWith(" No DNS Query");
            assertThat(tool.await(l -> fromPid(l, b.pid()), WAIT)).endsWith(" localhost");
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
}
