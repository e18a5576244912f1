package dev.tcpconnlat.decode;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The record the kernel writes into the ring buffer, from src/main/bpf/tcpconn.h:
 * <pre>
 * struct event {
 *     __u32 kind;
 *     __s32 err;
 *     __u64 ts_ns;
 *     __u64 latency_ns;
 *     __u64 cgroup_id;
 *     __u8 saddr[16];
 *     __u8 daddr[16];
 *     __u32 pid;
 *     __u32 tid;
 *     __u32 uid;
 *     __u16 family;
 *     __u16 lport;
 *     __u16 dport;
 *     __u16 result;
 *     char comm[TASK_COMM_LEN];
 *     __u16 retrans;
 *     __u16 pad;
 * };
 * </pre>
 */
public final class EventLayout {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("kind"),
            ValueLayout.JAVA_INT.withName("err"),
            ValueLayout.JAVA_LONG.withName("ts_ns"),
            ValueLayout.JAVA_LONG.withName("latency_ns"),
            ValueLayout.JAVA_LONG.withName("cgroup_id"),
            MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_BYTE).withName("saddr"),
            MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_BYTE).withName("daddr"),
            ValueLayout.JAVA_INT.withName("pid"),
            ValueLayout.JAVA_INT.withName("tid"),
            ValueLayout.JAVA_INT.withName("uid"),
            ValueLayout.JAVA_SHORT.withName("family"),
            ValueLayout.JAVA_SHORT.withName("lport"),
            ValueLayout.JAVA_SHORT.withName("dport"),
            ValueLayout.JAVA_SHORT.withName("result"),
            MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_BYTE).withName("comm"),
            ValueLayout.JAVA_SHORT.withName("retrans"),
            ValueLayout.JAVA_SHORT.withName("pad"));

    public static final long TS_NS = offset("ts_ns");
    public static final long LATENCY_NS = offset("latency_ns");
    public static final long CGROUP_ID = offset("cgroup_id");
    public static final long SADDR = offset("saddr");
    public static final long DADDR = offset("daddr");
    public static final long PID = offset("pid");
    public static final long TID = offset("tid");
    public static final long UID = offset("uid");
    public static final long ERR = offset("err");
    public static final long FAMILY = offset("family");
    public static final long LPORT = offset("lport");
    public static final long DPORT = offset("dport");
    public static final long KIND = offset("kind");
    public static final long RESULT = offset("result");
    public static final long RETRANS = offset("retrans");
    public static final long COMM = offset("comm");
    public static final int COMM_LEN = dev.tcpconnlat.event.EventView.COMM_LEN;

    /** enum record_kind: the first u32 of every ring buffer record */
    public static final int EVENT_ANSWERED = 1;
    public static final int EVENT_FAILED = 2;
    public static final int EVENT_ATTEMPT = 3;
    public static final int DNS_RESPONSE = 4;
    public static final int CGROUP_NAMES = 5;
    public static final int CGROUP_GONE = 6;

    /**
     * <pre>
     * struct dns_event {
     *     __u32 kind;
     *     __u16 len;
     *     __u16 wire_len;
     *     __u64 ts_ns;
     *     __u8 payload[DNS_MAX_PAYLOAD];
     * };
     * </pre>
     */
    public static final int DNS_MAX_PAYLOAD = 4096;
    public static final StructLayout DNS_LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("kind"),
            ValueLayout.JAVA_SHORT.withName("len"),
            ValueLayout.JAVA_SHORT.withName("wire_len"),
            ValueLayout.JAVA_LONG.withName("ts_ns"),
            MemoryLayout.sequenceLayout(DNS_MAX_PAYLOAD, ValueLayout.JAVA_BYTE).withName("payload"));
    public static final long DNS_LEN = DNS_LAYOUT.byteOffset(groupElement("len"));
    public static final long DNS_WIRE_LEN = DNS_LAYOUT.byteOffset(groupElement("wire_len"));
    public static final long DNS_TS_NS = DNS_LAYOUT.byteOffset(groupElement("ts_ns"));
    public static final long DNS_PAYLOAD = DNS_LAYOUT.byteOffset(groupElement("payload"));

    /**
     * <pre>
     * struct cgroup_event {
     *     __u32 kind;
     *     __u16 depth;
     *     __u16 truncated;
     *     __u64 cgroup_id;
     *     char names[CGROUP_MAX_DEPTH][CGROUP_NAME_LEN];
     * };
     * </pre>
     * names[0] is the cgroup's own name; a CGROUP_GONE record stops before names.
     */
    public static final int CGROUP_NAME_LEN = 128;
    public static final int CGROUP_MAX_DEPTH = 12;
    public static final StructLayout CGROUP_LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("kind"),
            ValueLayout.JAVA_SHORT.withName("depth"),
            ValueLayout.JAVA_SHORT.withName("truncated"),
            ValueLayout.JAVA_LONG.withName("cgroup_id"),
            MemoryLayout.sequenceLayout(CGROUP_MAX_DEPTH,
                    MemoryLayout.sequenceLayout(CGROUP_NAME_LEN, ValueLayout.JAVA_BYTE)).withName("names"));
    public static final long CGROUP_DEPTH = CGROUP_LAYOUT.byteOffset(groupElement("depth"));
    public static final long CGROUP_TRUNCATED = CGROUP_LAYOUT.byteOffset(groupElement("truncated"));
    public static final long CGROUP_ID_OF_RECORD = CGROUP_LAYOUT.byteOffset(groupElement("cgroup_id"));
    public static final long CGROUP_NAMES_AT = CGROUP_LAYOUT.byteOffset(groupElement("names"));

    /**
     * The path below the cgroup v2 root ("/system.slice/ssh.service", "/" for the root) of a
     * CGROUP_NAMES record, or null when the kernel could not copy it whole.
     */
    public static String cgroupPath(MemorySegment segment, long at) {
        if (u16(segment, at + CGROUP_TRUNCATED) != 0) {
            return null;
        }
        int depth = Math.min(u16(segment, at + CGROUP_DEPTH), CGROUP_MAX_DEPTH);
        if (depth == 0) {
            return "/";
        }
        StringBuilder path = new StringBuilder();
        for (int i = depth - 1; i >= 0; i--) {
            MemorySegment name = segment.asSlice(at + CGROUP_NAMES_AT + (long) i * CGROUP_NAME_LEN, CGROUP_NAME_LEN);
            long end = 0;
            while (end < CGROUP_NAME_LEN && name.get(ValueLayout.JAVA_BYTE, end) != 0) {
                end++;
            }
            path.append('/').append(new String(name.asSlice(0, end).toArray(ValueLayout.JAVA_BYTE),
                    java.nio.charset.StandardCharsets.UTF_8));
        }
        return path.toString();
    }

    /** The kind of any record, at {@code offset} of {@code segment}. */
    public static int kind(MemorySegment segment, long offset) {
        return u32(segment, offset + KIND);
    }

    private EventLayout() {}

    private static long offset(String field) {
        return LAYOUT.byteOffset(groupElement(field));
    }

    public static long u64(MemorySegment e, long offset) {
        return e.get(ValueLayout.JAVA_LONG, offset);
    }

    public static int u32(MemorySegment e, long offset) {
        return e.get(ValueLayout.JAVA_INT, offset);
    }

    public static int u16(MemorySegment e, long offset) {
        return Short.toUnsignedInt(e.get(ValueLayout.JAVA_SHORT, offset));
    }

    /**
     * The same fields in a copy of a record on the heap: a few array loads each, cheaper than
     * a MemorySegment access under C1 (the tools' only compiler; no bounds or scope checks to fold).
     */
    public static long u64(byte[] e, long offset) {
        return bytes(e, (int) offset, 8);
    }

    public static int u32(byte[] e, long offset) {
        return (int) bytes(e, (int) offset, 4);
    }

    public static int u16(byte[] e, long offset) {
        return (int) bytes(e, (int) offset, 2);
    }

    private static final boolean BIG_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;

    /** The unsigned {@code n}-byte integer at {@code at}, in the kernel's (native) byte order. */
    private static long bytes(byte[] b, int at, int n) {
        long v = 0;
        for (int i = 0; i < n; i++) {
            v = v << 8 | (b[BIG_ENDIAN ? at + i : at + n - 1 - i] & 0xff);
        }
        return v;
    }
}
