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
    private final DnsCache cache;

    public QueryColumn(DnsCache cache) {
        this.cache = cache;
    }

    public void append(StringBuilder out, EventView e) {
        long connectNs = e.connectNs();
        String daddr = e.daddr();
        DnsCache.Entry answer = cache.lookup(daddr, connectNs);
        if (answer == null) {
            boolean local = daddr.equals("127.0.0.1") || daddr.equals("::1");
            out.append(local ? "localhost" : "No DNS Query");
            return;
        }
        out.append(answer.name());
        long gapUs = (connectNs - answer.answeredNs()) / 1000;
        if (gapUs > DELAY_US) {
            out.append(" (");
            Columns.scaled(out, gapUs, 3, 3, 0);
            out.append("ms)");
        }
    }

    public String text(EventView e) {
        StringBuilder b = new StringBuilder();
        append(b, e);
        return b.toString();
    }
}
