package dev.tcpconnlat.decode;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import dev.tcpconnlat.bpf.LibC;
import dev.tcpconnlat.event.HistogramKey;
import dev.tcpconnlat.event.Result;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

/**
 * The key of one in-kernel latency histogram (src/main/bpf/tcpconn.h); labels that were not
 * selected are zero:
 * <pre>
 * struct hist_key {
 *     __u64 cgroup_id;
 *     __u8 daddr[16];
 *     char comm[TASK_COMM_LEN];
 *     __u16 family;
 *     __u16 dport;
 *     __u16 result;
 *     __u8 retrans;
 *     __u8 pad;
 *     __u32 daddr_group;
 *     __u32 peer;
 * };
 * </pre>
 */
public final class HistKeyLayout {
    /** enum hist_by: which parts of the key are set. */
    public static final int BY_CGROUP = 1;
    public static final int BY_COMM = 2;
    public static final int BY_DADDR = 4;
    public static final int BY_DPORT = 8;
    public static final int BY_FAMILY = 16;
    public static final int BY_RETRANS = 32;
    public static final int BY_PEER = 64;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("cgroup_id"),
            MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_BYTE).withName("daddr"),
            MemoryLayout.sequenceLayout(EventLayout.COMM_LEN, ValueLayout.JAVA_BYTE).withName("comm"),
            ValueLayout.JAVA_SHORT.withName("family"),
            ValueLayout.JAVA_SHORT.withName("dport"),
            ValueLayout.JAVA_SHORT.withName("result"),
            ValueLayout.JAVA_BYTE.withName("retrans"),
            ValueLayout.JAVA_BYTE.withName("pad"),
            ValueLayout.JAVA_INT.withName("daddr_group"),
            ValueLayout.JAVA_INT.withName("peer"));
    private static final long CGROUP_ID = offset("cgroup_id");
    private static final long DADDR = offset("daddr");
    private static final long COMM = offset("comm");
    private static final long FAMILY = offset("family");
    private static final long DPORT = offset("dport");
    private static final long RESULT = offset("result");
    private static final long RETRANS = offset("retrans");
    private static final long DADDR_GROUP = offset("daddr_group");
    private static final long PEER = offset("peer");

    private HistKeyLayout() {}

    /** Names a peer: by its id, or (id 0: the kernel had not learned it) by the destination's 4 or 16 bytes. */
    @FunctionalInterface
    public interface PeerNames {
        String name(int id, byte[] address);
    }

    /**
     * Decodes a key the kernel made with the {@code histBy} bits; with destination groups
     * ({@code groups}: group number -> name, else null) daddr is the group's name; with
     * {@link #BY_PEER}, {@code peers} names the peer.
     */
    public static HistogramKey decode(MemorySegment key, int histBy, IntFunction<String> groups, PeerNames peers) {
        int family = EventLayout.u16(key, FAMILY);
        int peerId = EventLayout.u32(key, PEER);
        boolean peerByAddress = (histBy & BY_PEER) != 0 && peerId == 0;
        String peer = null;
        if ((histBy & BY_PEER) != 0) {
            peer = peers.name(peerId, peerByAddress
                    ? key.asSlice(DADDR, family == LibC.AF_INET ? 4 : 16).toArray(ValueLayout.JAVA_BYTE) : null);
        }
        String daddr = null;
        if ((histBy & BY_DADDR) != 0) {
            daddr = groups != null ? groups.apply(EventLayout.u32(key, DADDR_GROUP)) : Addresses.of(family, key, DADDR);
        } else if (peerByAddress) { // two keys by address are two keys, even when both name the same peer
            daddr = Addresses.of(family, key, DADDR);
        }
        if (peerByAddress && (histBy & (BY_FAMILY | BY_DADDR)) == 0) {
            family = 0; // set only for user space to read the address
        }
        byte[] comm = key.asSlice(COMM, EventLayout.COMM_LEN).toArray(ValueLayout.JAVA_BYTE);
        int n = 0;
        while (n < comm.length && comm[n] != 0) {
            n++;
        }
        return new HistogramKey(EventLayout.u64(key, CGROUP_ID), new String(comm, 0, n, StandardCharsets.UTF_8),
                family == 0 ? 0 : family == LibC.AF_INET ? 4 : 6, daddr, EventLayout.u16(key, DPORT),
                Result.ofKernel(EventLayout.u16(key, RESULT)), Byte.toUnsignedInt(key.get(ValueLayout.JAVA_BYTE, RETRANS)),
                peer, peerByAddress);
    }

    private static long offset(String field) {
        return LAYOUT.byteOffset(groupElement(field));
    }
}
