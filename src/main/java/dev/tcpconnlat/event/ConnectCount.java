package dev.tcpconnlat.event;

import java.lang.foreign.MemorySegment;

/**
 * One row of tcpconnect -c, decoded from the kernel's key (src/main/bpf/tcpconn.h):
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
public record ConnectCount(String saddr, int lport, String daddr, int dport, long count) {
    public static final long KEY_SIZE = 40;

    public static ConnectCount decode(MemorySegment key, long count) {
        int family = EventLayout.u16(key, 32);
        return new ConnectCount(Addresses.of(family, key, 0), EventLayout.u16(key, 34),
                Addresses.of(family, key, 16), EventLayout.u16(key, 36), count);
    }
}
