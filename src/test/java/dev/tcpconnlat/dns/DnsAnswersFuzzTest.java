package dev.tcpconnlat.dns;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The parsing path of -d must survive anything the network sends: malformed, truncated or
 * hostile responses are skipped and counted, never thrown. Jazzer fuzzes it (a bounded run:
 * JAZZER_FUZZ=1 is set by the build); without fuzzing it replays its seeds.
 */
class DnsAnswersFuzzTest {
    @FuzzTest(maxDuration = "20s")
    void anyPayloadIsParsedOrCountedAsMalformed(byte[] payload) {
        boolean parses;
        try {
            DnsAnswers.parse(payload);
            parses = true;
        } catch (IOException e) {
            parses = false;
        }
        DnsCache cache = new DnsCache();
        respond(cache, payload, 1);
        assertThat(cache.malformed()).as("counted as malformed exactly when it does not parse").isEqualTo(parses ? 0 : 1);
        cache.lookup("127.0.0.1", 2);
    }

    static byte[] response() throws IOException {
        Name name = Name.fromString("web.tcpconnlat.test.");
        Message m = Message.newQuery(Record.newRecord(name, Type.A, DClass.IN));
        m.getHeader().setFlag(Flags.QR);
        m.addRecord(new ARecord(name, DClass.IN, 60, java.net.InetAddress.getByName("127.0.0.2")), Section.ANSWER);
        return m.toWire();
    }

    @Test
    void aRealResponseNamesItsAddress() throws IOException {
        DnsCache cache = new DnsCache();
        respond(cache, response(), 1_000);
        assertThat(cache.lookup("127.0.0.2", 2_000)).isEqualTo(new DnsCache.Entry("web.tcpconnlat.test", 1_000));
        assertThat(cache.lookup("::ffff:127.0.0.2", 2_000)).isNotNull();
        assertThat(cache.lookup("127.0.0.3", 2_000)).isNull();
        assertThat(cache.lookup("127.0.0.2", 1_000 + DnsCache.TTL_NS + 1)).as("expired").isNull();
        assertThat(cache.lookup("127.0.0.2", 999)).as("answered after the connect: no gap below zero").isNull();
    }

    @Test
    void everyTruncationIsSkippedAndCounted() throws IOException {
        byte[] full = response();
        DnsCache cache = new DnsCache();
        for (int n = 0; n < full.length; n++) {
            respond(cache, java.util.Arrays.copyOf(full, n), 1);
        }
        assertThat(cache.malformed()).isEqualTo(full.length);
        assertThat(cache.lookup("127.0.0.2", 2)).isNull();
    }

    @Test
    void aResponseTheKernelCutShortIsCountedNotParsed() throws IOException {
        byte[] full = response();
        DnsCache cache = new DnsCache();
        cache.onResponse(ByteBuffer.wrap(full), full.length + 1, 1);
        assertThat(cache.tooLong()).isEqualTo(1);
        assertThat(cache.malformed()).isZero();
        assertThat(cache.lookup("127.0.0.2", 2)).isNull();
    }

    @Test
    void theCacheIsBounded() throws IOException {
        DnsCache cache = new DnsCache();
        Name name = Name.fromString("many.test.");
        for (int i = 0; i < DnsCache.CAPACITY + 100; i++) {
            Message m = Message.newQuery(Record.newRecord(name, Type.A, DClass.IN));
            m.getHeader().setFlag(Flags.QR);
            byte[] a = {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i};
            m.addRecord(new ARecord(name, DClass.IN, 60, java.net.InetAddress.getByAddress(a)), Section.ANSWER);
            respond(cache, m.toWire(), i);
        }
        long later = DnsCache.CAPACITY + 100;
        assertThat(cache.lookup("10.0.0.0", later)).as("the oldest was evicted").isNull();
        assertThat(cache.lookup("10.0.39.99", later)).isNotNull();
    }

    private static void respond(DnsCache cache, byte[] payload, long answeredNs) {
        cache.onResponse(ByteBuffer.wrap(payload), payload.length, answeredNs);
    }
}
