package dev.tcpconnlat.output;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.tcpconnlat.cgroup.CgroupLabels;
import dev.tcpconnlat.cgroup.CgroupNames;
import dev.tcpconnlat.dns.DnsCache;
import dev.tcpconnlat.trace.Label;
import dev.tcpconnlat.event.EventView;
import dev.tcpconnlat.event.Result;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One JSON object per line with every field of the event. The line is put together as bytes
 * from its fixed parts (keys and punctuation, encoded once) and values that need no escaping
 * (numbers, addresses, the time, a printable ASCII comm); every string that may need escaping
 * is escaped by Jackson (a comm that is not plain ASCII, the cgroup's names, a DNS name). Under
 * C1 a JsonGenerator's call per key and value cost as much again as the text table's line.
 * Attempts (tcpconnect) have no latency, result or errno yet, so those keys are absent.
 * {@code unit} is the systemd unit (service or scope) of the connecting process's cgroup and
 * {@code container_id} the container's, each "" when there is none (as the exporter's labels).
 * With -d, {@code query} is the name whose DNS answer held the destination ("localhost" for
 * 127.0.0.1 and ::1, as the QUERY column; null when no answer did) and {@code query_gap_us} the
 * microseconds from that answer to the connect (null without an answer).
 */
public final class JsonLines implements EventPrinter {
    // The keys, each with the punctuation around it: {"time":"...","pid":N,...}
    private static final byte[] TIME = ascii("{\"time\":\"");
    private static final byte[] PID = ascii("\",\"pid\":");
    private static final byte[] TID = ascii(",\"tid\":");
    private static final byte[] UID = ascii(",\"uid\":");
    private static final byte[] COMM = ascii(",\"comm\":");
    private static final byte[] FAMILY = ascii(",\"family\":");
    private static final byte[] SADDR = ascii(",\"saddr\":\"");
    private static final byte[] LPORT = ascii("\",\"lport\":");
    private static final byte[] DADDR = ascii(",\"daddr\":\"");
    private static final byte[] DPORT = ascii("\",\"dport\":");
    private static final byte[] CGROUP_ID = ascii(",\"cgroup_id\":");
    private static final byte[] LATENCY_US = ascii(",\"latency_us\":");
    private static final byte[] RESULT = ascii(",\"result\":");
    private static final byte[] ERRNO = ascii(",\"errno\":");
    private static final byte[] SYN_RETRANSMITS = ascii(",\"syn_retransmits\":");
    private static final byte[] QUERY = ascii(",\"query\":");
    private static final byte[] QUERY_GAP_US = ascii(",\"query_gap_us\":");
    private static final byte[] NULL = ascii("null");
    private static final byte[] LOCALHOST = quoted(QueryColumn.LOCALHOST);
    /** Each result's value, quoted: "OK", "REFUSED", ... */
    private static final byte[][] RESULTS = Arrays.stream(Result.values())
            .map(r -> quoted(r.name())).toArray(byte[][]::new);

    /** CLOCK_REALTIME minus CLOCK_MONOTONIC: turns the kernel's timestamps into wall-clock time. */
    private final long realtimeOffsetNs = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
    private final QueryColumn query;

    private final CgroupNames cgroups;
    /** The last cgroup's fields (",\"unit\":...,\"container\":\"...\""): written whole while it repeats. */
    private CgroupLabels lastCgroup;
    private byte[] cgroupFields;
    /** An address, a comm or the time, as bytes: written without a String per field (cheaper under C1). */
    private final byte[] text = new byte[EventView.ADDRSTRLEN];
    private final IsoInstant time = new IsoInstant();

    /** {@code query} is null without -d; {@code cgroups} names each connect's unit and container. */
    public JsonLines(QueryColumn query, CgroupNames cgroups) {
        this.query = query;
        this.cgroups = cgroups;
    }

    @Override
    public void header(Output out) {}

    @Override
    public void print(EventView e, Output out) throws IOException {
        Line line = out.line();
        long wall = realtimeOffsetNs + e.timestampNs();
        line.appendAscii(TIME);
        line.appendAscii(text, 0, time.format(wall, text)); // digits, '-', ':', 'T', '.' and 'Z'
        line.appendAscii(PID).append(e.pid());
        line.appendAscii(TID).append(e.tid());
        line.appendAscii(UID).append(e.uid());
        line.appendAscii(COMM);
        int comm = e.comm(text);
        if (plain(comm)) {
            line.append('"').appendAscii(text, 0, comm).append('"');
        } else {
            line.appendUtf8Uncounted(quoted(e.comm())); // decoded (invalid UTF-8 replaced), then escaped
        }
        line.appendAscii(FAMILY).append(e.ipVersion());
        line.appendAscii(SADDR).appendAscii(text, 0, e.saddr(text));
        line.appendAscii(LPORT).append(e.lport());
        line.appendAscii(DADDR).appendAscii(text, 0, e.daddr(text));
        line.appendAscii(DPORT).append(e.dport());
        line.appendAscii(CGROUP_ID).append(e.cgroupId());
        CgroupLabels cgroup = cgroups.labels(e.cgroupId());
        if (cgroup != lastCgroup) {
            lastCgroup = cgroup;
            cgroupFields = fields(cgroup);
        }
        line.appendUtf8Uncounted(cgroupFields);
        if (e.result() != Result.PENDING) {
            line.appendAscii(LATENCY_US).append(e.latencyUs());
            line.appendAscii(RESULT).appendAscii(RESULTS[e.result().ordinal()]);
            line.appendAscii(ERRNO).append(e.errno());
            line.appendAscii(SYN_RETRANSMITS).append(e.synRetransmits());
        }
        if (query != null) {
            DnsCache.Entry answer = query.answer(e);
            line.appendAscii(QUERY);
            if (answer == null) {
                line.appendAscii(QueryColumn.localhost(e) ? LOCALHOST : NULL);
                line.appendAscii(QUERY_GAP_US).appendAscii(NULL);
            } else {
                line.appendUtf8Uncounted(quoted(answer.name()));
                line.appendAscii(QUERY_GAP_US).append(QueryColumn.gapUs(answer, e));
            }
        }
        line.append('}');
        out.endLine();
    }

    /** The cgroup's fields (Label.JSON), written by Jackson, as they follow another field: ,"unit":"...",... */
    private static byte[] fields(CgroupLabels cgroup) throws IOException {
        StringWriter text = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(text)) {
            g.writeStartObject();
            for (Label label : Label.JSON) {
                g.writeStringField(label.labelName(), label.value(cgroup));
            }
            g.writeEndObject();
        }
        String object = text.toString(); // {"unit":"..."}: the fields without the braces, after a comma
        return ("," + object.substring(1, object.length() - 1)).getBytes(StandardCharsets.UTF_8);
    }

    /** {@code value} as a JSON string, quotes included, escaped by Jackson. */
    private static byte[] quoted(String value) {
        byte[] escaped = JsonStringEncoder.getInstance().quoteAsUTF8(value);
        byte[] q = new byte[escaped.length + 2];
        q[0] = '"';
        System.arraycopy(escaped, 0, q, 1, escaped.length);
        q[q.length - 1] = '"';
        return q;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Whether the comm's {@code n} bytes in {@code text} are printable ASCII without '"' or '\\' (nothing to escape). */
    private boolean plain(int n) {
        for (int i = 0; i < n; i++) {
            byte b = text[i];
            if (b < 0x20 || b == '"' || b == '\\') { // negative: not ASCII
                return false;
            }
        }
        return true;
    }
}
