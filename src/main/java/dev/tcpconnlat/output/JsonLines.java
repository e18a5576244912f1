package dev.tcpconnlat.output;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.tcpconnlat.bpf.LibC;
import dev.tcpconnlat.cgroup.CgroupPaths;
import dev.tcpconnlat.dns.DnsCache;
import dev.tcpconnlat.event.EventView;
import dev.tcpconnlat.event.Result;
import java.io.IOException;
import java.io.OutputStream;

/**
 * One JSON object per line with every field of the event, written by Jackson.
 * Attempts (tcpconnect) have no latency, result or errno yet, so those keys are absent.
 * {@code unit} is the systemd unit (service or scope) of the connecting process's cgroup, or
 * null, and {@code container_id} is there when the cgroup is a container's.
 * With -d, {@code query} is the name whose DNS answer held the destination (null when none
 * did) and {@code query_gap_us} the microseconds from that answer to the connect.
 */
public final class JsonLines implements EventPrinter {
    /** CLOCK_REALTIME minus CLOCK_MONOTONIC: turns the kernel's timestamps into wall-clock time. */
    private final long realtimeOffsetNs = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
    private Output out;
    private final JsonGenerator json;
    private final QueryColumn query;

    private final CgroupPaths cgroups;
    /** An address, a comm or the time, as bytes: written without a String per field (cheaper under C1). */
    private final byte[] text = new byte[LibC.ADDRSTRLEN];
    private final IsoInstant time = new IsoInstant();

    /** {@code query} is null without -d; {@code cgroups} names each connect's unit and container. */
    public JsonLines(QueryColumn query, CgroupPaths cgroups) {
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
        json.writeFieldName("time");
        json.writeRawUTF8String(text, 0, time.format(wall, text)); // digits, '-', ':', 'T', '.' and 'Z': nothing to escape
        json.writeNumberField("pid", e.pid());
        json.writeNumberField("tid", e.tid());
        json.writeNumberField("uid", e.uid());
        json.writeFieldName("comm");
        int comm = e.comm(text);
        if (ascii(comm)) {
            json.writeUTF8String(text, 0, comm); // escapes '"', '\\' and control characters
        } else {
            json.writeString(e.comm()); // decoded: invalid UTF-8 replaced
        }
        json.writeNumberField("family", e.ipVersion());
        json.writeFieldName("saddr");
        json.writeRawUTF8String(text, 0, e.saddr(text));
        json.writeNumberField("lport", e.lport());
        json.writeFieldName("daddr");
        json.writeRawUTF8String(text, 0, e.daddr(text));
        json.writeNumberField("dport", e.dport());
        json.writeNumberField("cgroup_id", e.cgroupId());
        CgroupPaths.Named cgroup = cgroups.named(e.cgroupId());
        String unit = cgroup == null ? "" : cgroup.labels().unit();
        if (unit.isEmpty()) {
            json.writeNullField("unit");
        } else {
            json.writeStringField("unit", unit);
        }
        if (cgroup != null && !cgroup.labels().containerId().isEmpty()) {
            json.writeStringField("container_id", cgroup.labels().containerId());
        }
        if (e.result() != Result.PENDING) {
            json.writeNumberField("latency_us", e.latencyUs());
            json.writeStringField("result", e.result().name());
            json.writeNumberField("errno", e.errno());
        }
        if (query != null) {
            DnsCache.Entry answer = query.answer(e);
            if (answer == null) {
                json.writeNullField("query");
                json.writeNullField("query_gap_us");
            } else {
                json.writeStringField("query", answer.name());
                json.writeNumberField("query_gap_us", QueryColumn.gapUs(answer, e));
            }
        }
        json.writeEndObject();
        json.writeRaw('\n');
        json.flush();
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
