package dev.tcpconnlat.output;

import dev.tcpconnlat.decode.RecordView;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tcpconnlat.cgroup.CgroupNames;
import dev.tcpconnlat.event.ConnectEvent;
import dev.tcpconnlat.decode.EncodedEvent;
import dev.tcpconnlat.event.EventView;
import dev.tcpconnlat.event.Result;
import dev.tcpconnlat.trace.CgroupV2;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each line is one strict JSON object whose strings are the event's (escaped where JSON needs it). */
class JsonLinesTest {
    @ParameterizedTest
    @ValueSource(strings = {"curl", "a\"b\\c", "tab\there", "café", "日本語のプロセス名", "x\u0001y"})
    void fieldsRoundTrip(String comm) throws Exception {
        ConnectEvent e = new ConnectEvent(5_123_456_789L, 1_004_460_123L, 1, 4903, 4904, 1000, comm, 6,
                "2001:db8::1", 40001, "::ffff:10.1.2.4", 443, Result.REFUSED, 111, 0);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Output out = new Output(bytes);
        JsonLines json = new JsonLines(null, new CgroupNames(CgroupV2.root(), null, 0));
        long before = System.currentTimeMillis();
        try (Arena arena = Arena.ofConfined()) {
            json.print(new RecordView().wrap(EncodedEvent.of(e, arena)), out);
        }
        out.flush();
        String line = bytes.toString(StandardCharsets.UTF_8);
        assertThat(line).startsWith("{").endsWith("}\n").containsOnlyOnce("\n");
        JsonNode n = new ObjectMapper().readTree(line);
        assertThat(n.get("comm").asText()).isEqualTo(new String(comm.getBytes(StandardCharsets.UTF_8), 0,
                Math.min(15, comm.getBytes(StandardCharsets.UTF_8).length), StandardCharsets.UTF_8));
        assertThat(n.get("saddr").asText()).isEqualTo("2001:db8::1");
        assertThat(n.get("daddr").asText()).isEqualTo("::ffff:10.1.2.4");
        assertThat(n.get("latency_us").asLong()).isEqualTo(1_004_460);
        assertThat(n.get("result").asText()).isEqualTo("REFUSED");
        Instant time = Instant.parse(n.get("time").asText());
        assertThat(time.toString()).isEqualTo(n.get("time").asText());
        assertThat(time.toEpochMilli()).isLessThanOrEqualTo(before); // monotonic 5.1 s, so before now
    }

    /** The time keeps the kernel's nanoseconds: two events 1,234,567 ns apart are that far apart in JSON. */
    @Test
    void timesKeepNanoseconds() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Output out = new Output(bytes);
        JsonLines json = new JsonLines(null, new CgroupNames(CgroupV2.root(), null, 0));
        try (Arena arena = Arena.ofConfined()) {
            for (long ts : new long[] {5_000_000_001L, 5_001_234_568L}) {
                json.print(new RecordView().wrap(EncodedEvent.of(new ConnectEvent(ts, 1000, 1, 1, 1, 0, "x", 4,
                        "127.0.0.1", 1, "127.0.0.1", 2, Result.OK, 0, 0), arena)), out);
            }
        }
        out.flush();
        List<Instant> times = bytes.toString(StandardCharsets.UTF_8).lines()
                .map(l -> Instant.parse(l.substring(9, l.indexOf('"', 9)))).toList();
        assertThat(java.time.Duration.between(times.get(0), times.get(1)).toNanos()).isEqualTo(1_234_567);
    }
}
