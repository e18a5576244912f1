package dev.tcpconnlat.output;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import dev.tcpconnlat.cgroup.CgroupLabels;
import dev.tcpconnlat.cgroup.CgroupNames;
import dev.tcpconnlat.dns.DnsCache;
import dev.tcpconnlat.trace.Label;
import dev.tcpconnlat.event.EventView;
import dev.tcpconnlat.event.Result;
import java.io.IOException;
import java.io.OutputStream;

/**
 * One JSON object per line with every field of the event, written by Jackson.
 * Attempts (tcpconnect) have no latency, result or errno yet, so those keys are absent.
 * {@code unit} is the systemd unit (service or scope) of the connecting process's cgroup and
 * {@code container_id} the container's, each "" when there is none (as the exporter's labels).
 * With -d, {@code query} is the name whose DNS answer held the destination ("localhost" for
 * 127.0.0.1 and ::1, as the QUERY column; null when no answer did) and {@code query_gap_us} the
 * microseconds from that answer to the connect (null without an answer).
 */
public final class JsonLines implements EventPrinter {
    /** The keys, quoted and encoded once (writing a String key costs a copy and an escape check per call). */
    private static final SerializedString TIME = new SerializedString("time");
    private static final SerializedString PID = new SerializedString("pid");
    private static final SerializedString TID = new SerializedString("tid");
    private static final SerializedString UID = new SerializedString("uid");
    private static final SerializedString COMM = new SerializedString("comm");
    private static final SerializedString FAMILY = new SerializedString("family");
    private static final SerializedString SADDR = new SerializedString("saddr");
    private static final SerializedString LPORT = new SerializedString("lport");
    private static final SerializedString DADDR = new SerializedString("daddr");
    private static final SerializedString DPORT = new SerializedString("dport");
    private static final SerializedString CGROUP_ID = new SerializedString("cgroup_id");
    /** The cgroup's labels: unit, container_id, ... (Label.JSON). */
    private static final SerializedString[] CGROUP_FIELDS = Label.JSON.stream()
            .map(l -> new SerializedString(l.labelName())).toArray(SerializedString[]::new);
    private static final SerializedString LATENCY_US = new SerializedString("latency_us");
    private static final SerializedString RESULT = new SerializedString("result");
    private static final SerializedString ERRNO = new SerializedString("errno");
    private static final SerializedString SYN_RETRANSMITS = new SerializedString("syn_retransmits");
    private static final SerializedString QUERY = new SerializedString("query");
    private static final SerializedString QUERY_GAP_US = new SerializedString("query_gap_us");

    /** CLOCK_REALTIME minus CLOCK_MONOTONIC: turns the kernel's timestamps into wall-clock time. */
    private final long realtimeOffsetNs = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
    private Output out;
    private final JsonGenerator json;
    private final QueryColumn query;

    private final CgroupNames cgroups;
    /** The last cgroup's fields as JSON (",\"unit\":...,\"container\":\"...\""): written whole while it repeats. */
    private CgroupLabels lastCgroup;
    private SerializedString cgroupFields;
    /** An address, a comm or the time, as bytes: written without a String per field (cheaper under C1). */
    private final byte[] text = new byte[EventView.ADDRSTRLEN];
    private final IsoInstant time = new IsoInstant();

    /** {@code query} is null without -d; {@code cgroups} names each connect's unit and container. */
    public JsonLines(QueryColumn query, CgroupNames cgroups) {
        this.query = query;
        this.cgroups = cgroups;
        try {
            // No root value separator: Jackson's default puts a space before every object after
            // the first, and JSON-lines readers (and grep '^{') expect each line to start with '{'.
            json = new JsonFactory().setRootValueSeparator(null).createGenerator(new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    out.write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void header(Output out) {}

    @Override
    public void print(EventView e, Output out) throws IOException {
        this.out = out;
        long wall = realtimeOffsetNs + e.timestampNs();
        json.writeStartObject();
        json.writeFieldName(TIME);
        json.writeRawUTF8String(text, 0, time.format(wall, text)); // digits, '-', ':', 'T', '.' and 'Z': nothing to escape
        number(PID, e.pid());
        number(TID, e.tid());
        number(UID, e.uid());
        json.writeFieldName(COMM);
        int comm = e.comm(text);
        if (ascii(comm)) {
            json.writeUTF8String(text, 0, comm); // escapes '"', '\\' and control characters
        } else {
            json.writeString(e.comm()); // decoded: invalid UTF-8 replaced
        }
        number(FAMILY, e.ipVersion());
        json.writeFieldName(SADDR);
        json.writeRawUTF8String(text, 0, e.saddr(text));
        number(LPORT, e.lport());
        json.writeFieldName(DADDR);
        json.writeRawUTF8String(text, 0, e.daddr(text));
        number(DPORT, e.dport());
        number(CGROUP_ID, e.cgroupId());
        CgroupLabels cgroup = cgroups.labels(e.cgroupId());
        if (cgroup != lastCgroup) {
            lastCgroup = cgroup;
            cgroupFields = fields(cgroup);
        }
        json.writeRaw(cgroupFields); // after a value: the generator puts the comma before the next key itself
        if (e.result() != Result.PENDING) {
            number(LATENCY_US, e.latencyUs());
            string(RESULT, e.result().name());
            number(ERRNO, e.errno());
            number(SYN_RETRANSMITS, e.synRetransmits());
        }
        if (query != null) {
            DnsCache.Entry answer = query.answer(e);
            if (answer == null) {
                string(QUERY, QueryColumn.localhost(e) ? QueryColumn.LOCALHOST : null);
                string(QUERY_GAP_US, null);
            } else {
                string(QUERY, answer.name());
                number(QUERY_GAP_US, QueryColumn.gapUs(answer, e));
            }
        }
        json.writeEndObject();
        json.writeRaw('\n');
        json.flush();
    }

    /** The cgroup's fields (Label.JSON), escaped by Jackson, as they follow another field: ,"unit":"...",... */
    private static SerializedString fields(CgroupLabels cgroup) throws IOException {
        java.io.StringWriter text = new java.io.StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(text)) {
            g.writeStartObject();
            for (int i = 0; i < CGROUP_FIELDS.length; i++) {
                g.writeFieldName(CGROUP_FIELDS[i]);
                g.writeString(Label.JSON.get(i).value(cgroup));
            }
            g.writeEndObject();
        }
        String object = text.toString(); // {"unit":"..."}: the fields without the braces, after a comma
        return new SerializedString("," + object.substring(1, object.length() - 1));
    }

    private void number(SerializedString key, int value) throws IOException {
        json.writeFieldName(key);
        json.writeNumber(value); // an int's digits cost less than a long's
    }

    private void number(SerializedString key, long value) throws IOException {
        json.writeFieldName(key);
        json.writeNumber(value);
    }

    /** A string, or null. */
    private void string(SerializedString key, String value) throws IOException {
        json.writeFieldName(key);
        json.writeString(value);
    }

    private boolean ascii(int n) {
        for (int i = 0; i < n; i++) {
            if (text[i] < 0) {
                return false;
            }
        }
        return true;
    }
}
