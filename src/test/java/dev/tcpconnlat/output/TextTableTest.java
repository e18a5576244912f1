package dev.tcpconnlat.output;

import dev.tcpconnlat.decode.RecordView;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpconnlat.event.ConnectEvent;
import dev.tcpconnlat.decode.EncodedEvent;
import dev.tcpconnlat.event.EventView;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import dev.tcpconnlat.event.Result;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Byte-for-byte against bcc's Python format strings (expected text produced by Python). */
class TextTableTest {
    static ConnectEvent event(long tsNs, long latencyNs, String comm, int ip, String saddr, int lport,
            String daddr, int dport, Result result) {
        int errno = switch (result) {
            case REFUSED -> 111;
            case TIMEDOUT -> 110;
            default -> 0;
        };
        return new ConnectEvent(tsNs, latencyNs, 1, 4903, 4904, 1000, comm, ip, saddr, lport, daddr, dport,
                result, errno, 0);
    }

    static String render(EventPrinter printer, ConnectEvent... events) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Output out = new Output(bytes);
        printer.header(out);
        RecordView view = new RecordView();
        try (Arena arena = Arena.ofConfined()) {
            for (ConnectEvent e : events) {
                MemorySegment record = EncodedEvent.of(e, arena);
                assertThat(new RecordView().wrap(record).toRecord()).isEqualTo(e);
                printer.print(view.wrap(record), out);
            }
        }
        out.flush();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void tcpconnlatMatchesBcc() throws Exception {
        String text = render(new TextTable(TextTable.Tool.TCPCONNLAT, false, false, false, false, false, null),
                event(5_000_000_000L, 1_004_460_123L, "python3", 4, "127.0.0.1", 40000, "127.0.0.1", 45999,
                        Result.OK),
                event(5_000_000_000L, 50_999L, "curl", 6, "::1", 40001, "::1", 80, Result.OK),
                event(5_000_000_000L, 120_000L, "java", 6, "::ffff:10.1.2.3", 40002, "::ffff:10.1.2.4", 443,
                        Result.REFUSED));
        assertThat(text).isEqualTo(
                "PID     COMM         IP SADDR            DADDR            DPORT LAT(ms)\n"
                + "4903    python3      4  127.0.0.1        127.0.0.1        45999 1004.46\n"
                + "4903    curl         6  ::1              ::1              80    0.05\n"
                + "4903    java         6  ::ffff:10.1.2.3  ::ffff:10.1.2.4  443   0.12\n");
    }

    /** -e -r: RETR after RESULT, the latency last; the retransmits decoded from the record. */
    @Test
    void tcpconnlatResultAndRetransmits() throws Exception {
        String text = render(new TextTable(TextTable.Tool.TCPCONNLAT, false, false, false, true, true, null),
                new ConnectEvent(5_000_000_000L, 1_026_930_000L, 1, 11702, 11702, 0, "bash", 4, "127.0.0.1", 40000,
                        "127.0.0.1", 47111, Result.OK, 0, 1),
                new ConnectEvent(5_000_000_000L, 2_033_390_000L, 1, 11709, 11709, 0, "bash", 4, "127.0.0.1", 40001,
                        "127.0.0.1", 47111, Result.OK, 0, 12));
        assertThat(text).isEqualTo(
                "PID     COMM         IP SADDR            DADDR            DPORT RESULT   RETR LAT(ms)\n"
                + "11702   bash         4  127.0.0.1        127.0.0.1        47111 OK       1    1026.93\n"
                + "11709   bash         4  127.0.0.1        127.0.0.1        47111 OK       12   2033.39\n");
    }

    @Test
    void tcpconnlatTimestampLportAndResult() throws Exception {
        String text = render(new TextTable(TextTable.Tool.TCPCONNLAT, true, false, true, true, false, null),
                event(1_000_000_000L, 45_000L, "a-very-long-cmd", 4, "10.0.0.1", 51234, "10.0.0.2", 443,
                        Result.OK),
                event(32_871_000_999L, 130_000_000_000L, "nc", 4, "10.0.0.1", 51235, "10.0.0.9", 5000,
                        Result.TIMEDOUT));
        assertThat(text).isEqualTo(
                "TIME(s)  PID     COMM         IP SADDR            LPORT  DADDR            DPORT RESULT   LAT(ms)\n"
                + "0.000    4903    a-very-long- 4  10.0.0.1         51234  10.0.0.2         443   OK       0.04\n"
                + "31.871   4903    nc           4  10.0.0.1         51235  10.0.0.9         5000  TIMEDOUT 130000.00\n");
    }

    @Test
    void tcpconnectMatchesBcc() throws Exception {
        // Python: '%-9.3f' % 31.871 + '%-6d' % 1000 + '%-7d %-12.12s %-2d %-16s %-6d %-16s %-6d' % (...)
        String text = render(new TextTable(TextTable.Tool.TCPCONNECT, true, true, true, false, false, null),
                event(0, 0, "local_agent_xyz", 4, "10.103.219.236", 57266, "10.251.148.38", 7001,
                        Result.PENDING),
                event(31_871_000_000L, 0, "local_agent_xyz", 4, "10.103.219.236", 57266, "10.251.148.38", 7001,
                        Result.PENDING));
        assertThat(text.lines().toList()).containsExactly(
                "TIME(s)  UID   PID     COMM         IP SADDR            LPORT  DADDR            DPORT ",
                "0.000    1000  4903    local_agent_ 4  10.103.219.236   57266  10.251.148.38    7001  ",
                "31.871   1000  4903    local_agent_ 4  10.103.219.236   57266  10.251.148.38    7001  ");
    }

    @Test
    void commIsUtf8PaddedByCharactersWithControlsAsQuestionMarks() throws Exception {
        // Python: '%-12.12s' % comm, after the tool's ps-like '?' for control characters
        String text = render(new TextTable(TextTable.Tool.TCPCONNLAT, false, false, false, false, false, null),
                event(0, 1_000L, "café", 4, "10.0.0.1", 1, "10.0.0.2", 80, Result.OK),
                event(0, 1_000L, "x\u0001y\u001b[2J", 4, "10.0.0.1", 1, "10.0.0.2", 80, Result.OK),
                event(0, 1_000L, "日本語のプ", 4, "10.0.0.1", 1, "10.0.0.2", 80, Result.OK));
        assertThat(text.lines().skip(1).toList()).containsExactly(
                "4903    café         4  10.0.0.1         10.0.0.2         80    0.00",
                "4903    x?y?[2J      4  10.0.0.1         10.0.0.2         80    0.00",
                "4903    日本語のプ        4  10.0.0.1         10.0.0.2         80    0.00");
    }
}
