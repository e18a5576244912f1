package dev.tcpconnlat.dns;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which name each recently answered address came from (tcpconnect -d), as bcc keeps it:
 * at most 10,240 addresses, each forgotten 24 hours after its answer. Times are the kernel's
 * (CLOCK_MONOTONIC ns) on both sides, so the gap to a connect is measured in one clock.
 */
public final class DnsCache {
    public static final int CAPACITY = 10_240;
    public static final long TTL_NS = 24 * 3600 * 1_000_000_000L;

    /** The name asked for, and when its answer arrived. */
    public record Entry(String name, long answeredNs) {}

    private final Map<String, Entry> byAddress = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, DnsCache.Entry> eldest) {
            return size() > CAPACITY;
        }
    };
    private long malformed;
    private long tooLong;

    /** An empty cache. */
    public DnsCache() {}

    /**
     * Records the A/AAAA answers of a response. One that the kernel cut short ({@code wireLength}
     * over what was copied) or that does not parse is skipped and counted.
     */
    public void onResponse(ByteBuffer payload, int wireLength, long answeredNs) {
        try {
            for (DnsAnswers.Answer a : DnsAnswers.read(payload, wireLength)) {
                byAddress.remove(a.address()); // re-insert: the newest answer is the last evicted
                byAddress.put(a.address(), new Entry(a.name(), answeredNs));
            }
        } catch (DnsAnswers.TooLong e) {
            tooLong++;
        } catch (IOException e) {
            malformed++;
        }
    }

    /**
     * The answer that named {@code address} before {@code connectNs} (at most {@link #TTL_NS}
     * before), or null: an answer that came after the connect cannot have named it. A v4-mapped
     * IPv6 address (a dual-stack socket, e.g. Java's) matches the A record of its IPv4 address.
     */
    public Entry lookup(String address, long connectNs) {
        String key = address.startsWith("::ffff:") && address.indexOf('.') > 0 ? address.substring(7) : address;
        Entry e = byAddress.get(key);
        if (e == null || e.answeredNs() > connectNs || connectNs - e.answeredNs() > TTL_NS) {
            return null;
        }
        return e;
    }

    /** DNS responses that could not be parsed. */
    public long malformed() {
        return malformed;
    }

    /** DNS responses longer than the kernel copies (EventLayout.DNS_MAX_PAYLOAD). */
    public long tooLong() {
        return tooLong;
    }
}
