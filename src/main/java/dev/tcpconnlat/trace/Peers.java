package dev.tcpconnlat.trace;

import dev.tcpconnlat.dns.DnsAnswers;
import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The peer label's names: the DNS names whose A/AAAA answers held the destinations (the host's
 * own look-ups, the capture of -d), each given a small id that the kernel keys histograms by
 * (it looks the destination address up in its peers map, which the engine writes from the
 * answers). At most {@link #max} names: the answers of further names go under {@link #OTHER},
 * and are counted. Names are compared without case (resolvers may randomize it).
 */
public final class Peers {
    public static final String LOCALHOST = "localhost";
    public static final String UNKNOWN = "unknown";
    public static final String OTHER = "other";
    public static final int DEFAULT_MAX = 1000;
    public static final int MAX = 100_000;
    /** Ids of the kernel's peers map; 0 is "not there": the kernel keys by the address. */
    static final int LOCALHOST_ID = 1;
    static final int UNKNOWN_ID = 2;
    static final int OTHER_ID = 3;
    private static final List<String> FIXED = List.of("", LOCALHOST, UNKNOWN, OTHER);
    /** struct peer_key (src/main/bpf/tcpconn.h): __u8 addr[16], IPv4 v4-mapped. */
    static final StructLayout KEY_LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_BYTE).withName("addr"));

    private final int max;
    private final Map<String, Integer> ids = new HashMap<>();
    private final List<String> names = new ArrayList<>(FIXED);
    private long overMax;
    private long unreadable;

    /** At most {@code max} names (1 to {@link #MAX}). */
    public Peers(int max) {
        if (max < 1 || max > MAX) {
            throw new IllegalArgumentException("the most peer names is 1 to " + MAX + ", not " + max);
        }
        this.max = max;
    }

    public int max() {
        return max;
    }

    /** The id of a name, given one if there is room, else {@link #OTHER_ID} (counted). */
    synchronized int id(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        Integer id = ids.get(n);
        if (id != null) {
            return id;
        }
        if (ids.size() >= max) {
            overMax++;
            return OTHER_ID;
        }
        names.add(n);
        ids.put(n, names.size() - 1);
        return names.size() - 1;
    }

    /** The name of an id the kernel keyed by ({@link #UNKNOWN} for one it was never given). */
    public synchronized String name(int id) {
        return id > 0 && id < names.size() ? names.get(id) : UNKNOWN;
    }

    /** How many names have an id. */
    public synchronized int size() {
        return ids.size();
    }

    /** Answers whose name found no room (their addresses are {@link #OTHER}). */
    public synchronized long overMax() {
        return overMax;
    }

    /** DNS responses that could not be read: cut short by the kernel's copy, or malformed. */
    public synchronized long unreadable() {
        return unreadable;
    }

    /** The A/AAAA answers of a response ({@code wireLength}: its length on the wire); none if it cannot be read (counted). */
    synchronized List<DnsAnswers.Answer> answers(ByteBuffer payload, int wireLength) {
        try {
            return DnsAnswers.read(payload, wireLength);
        } catch (IOException e) { // cut short or malformed
            unreadable++;
            return List.of();
        }
    }

    /** The bytes of an address literal (no look-up). */
    static byte[] literal(String address) {
        try {
            return InetAddress.ofLiteral(address).getAddress();
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(e);
        }
    }
}
