package dev.tcpconnlat.output;

import dev.tcpconnlat.dns.DnsCache;
import dev.tcpconnlat.event.EventView;

/**
 * bcc's QUERY column (-d): the name whose DNS answer held the destination address;
 * {@code localhost} for 127.0.0.1 and ::1, else {@code No DNS Query}; and when the connect
 * came more than 100 ms after the answer, the gap, e.g. {@code www.domain.com (123.342ms)}.
 */
public final class QueryColumn {
    private static final long DELAY_US = 100_000;
    /** The name of 127.0.0.1 and ::1 when no answer named them. */
    public static final String LOCALHOST = "localhost";
    private final DnsCache cache;

    public QueryColumn(DnsCache cache) {
        this.cache = cache;
    }

    /** The answer that named the destination before the connect started, or null. */
    public DnsCache.Entry answer(EventView e) {
        return cache.lookup(e.daddr(), e.connectNs());
    }

    /** Whether the destination is 127.0.0.1 or ::1 (named localhost when no answer named it). */
    public static boolean localhost(EventView e) {
        String daddr = e.daddr();
        return daddr.equals("127.0.0.1") || daddr.equals("::1");
    }

    /** Microseconds from the answer to the connect. */
    public static long gapUs(DnsCache.Entry answer, EventView e) {
        return (e.connectNs() - answer.answeredNs()) / 1000;
    }

    public void append(Line out, EventView e) {
        DnsCache.Entry answer = answer(e);
        if (answer == null) {
            out.append(localhost(e) ? LOCALHOST : "No DNS Query");
            return;
        }
        out.append(answer.name());
        long gapUs = gapUs(answer, e);
        if (gapUs > DELAY_US) {
            out.append(" (");
            Columns.scaled(out, gapUs, 3, 3, 0);
            out.append("ms)");
        }
    }
}
