package dev.tcpconnlat.decode;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import dev.tcpconnlat.event.ConnectCount;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * The key of one row of tcpconnect -c (src/main/bpf/tcpconn.h):
 * <pre>
 * struct count_key {
 *     __u8 saddr[16];
 *     __u8 daddr[16];
 *     __u16 family;
 *     __u16 lport;
 *     __u16 dport;
 *     __u16 pad;
 * };
 * </pre>
 */
public final class CountKeyLayout {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_BYTE).withName("saddr"),
            MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_BYTE).withName("daddr"),
            ValueLayout.JAVA_SHORT.withName("family"),
            ValueLayout.JAVA_SHORT.withName("lport"),
            ValueLayout.JAVA_SHORT.withName("dport"),
            ValueLayout.JAVA_SHORT.withName("pad"));
    private static final long SADDR = offset("saddr");
    private static final long DADDR = offset("daddr");
    private static final long FAMILY = offset("family");
    private static final long LPORT = offset("lport");
    private static final long DPORT = offset("dport");

    private CountKeyLayout() {}

    public static ConnectCount decode(MemorySegment key, long count) {
        int family = EventLayout.u16(key, FAMILY);
        return new ConnectCount(Addresses.of(family, key, SADDR), EventLayout.u16(key, LPORT),
                Addresses.of(family, key, DADDR), EventLayout.u16(key, DPORT), count);
    }

    private static long offset(String field) {
        return LAYOUT.byteOffset(groupElement(field));
    }
}
