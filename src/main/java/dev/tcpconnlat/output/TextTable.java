package dev.tcpconnlat.output;

import dev.tcpconnlat.event.EventView;
import java.io.IOException;

/**
 * The column layouts of bcc's Python tools, so scripts and habits carry over:
 * <pre>
 * tcpconnlat  [TIME(s)  ]PID     COMM         IP SADDR            [LPORT  ]DADDR            DPORT [RESULT   ]LAT(ms)
 * tcpconnect  [TIME(s)  ][UID   ]PID     COMM         IP SADDR            [LPORT  ]DADDR            DPORT [ QUERY]
 * </pre>
 * tcpconnlat's RESULT column (-e) goes before LAT(ms) so that the latency stays last; with -d
 * both tools end with a QUERY column.
 */
public final class TextTable implements EventPrinter {
    /** Which tool's columns. */
    public enum Tool { TCPCONNLAT, TCPCONNECT }

    private final Tool tool;
    private final boolean timestamp;
    private final boolean uid;
    private final boolean lport;
    private final boolean result;
    private final QueryColumn query;
    private final FirstEventClock clock = new FirstEventClock();

    /** {@code query} is null without -d. */
    public TextTable(Tool tool, boolean timestamp, boolean uid, boolean lport, boolean result, QueryColumn query) {
        this.tool = tool;
        this.timestamp = timestamp;
        this.uid = uid;
        this.lport = lport;
        this.result = result;
        this.query = query;
    }

    @Override
    public void header(Output out) throws IOException {
        StringBuilder l = out.line();
        if (timestamp) {
            Columns.left(l, "TIME(s)", 9);
        }
        if (uid) {
            Columns.left(l, "UID", 6);
        }
        Columns.left(l, "PID", 7);
        l.append(' ');
        Columns.left(l, "COMM", 12);
        l.append(' ');
        Columns.left(l, "IP", 2);
        l.append(' ');
        Columns.left(l, "SADDR", 16);
        l.append(' ');
        if (lport) {
            Columns.left(l, "LPORT", 6);
            l.append(' ');
        }
        Columns.left(l, "DADDR", 16);
        l.append(' ');
        if (tool == Tool.TCPCONNLAT) {
            Columns.left(l, "DPORT", 5);
            l.append(' ');
            if (result) {
                Columns.left(l, "RESULT", 8);
                l.append(' ');
            }
            l.append("LAT(ms)");
        } else {
            Columns.left(l, "DPORT", 6);
        }
        if (query != null) {
            l.append(" QUERY");
        }
        out.endLine();
    }

    @Override
    public void print(EventView e, Output out) throws IOException {
        StringBuilder l = out.line();
        if (timestamp) {
            Columns.scaled(l, clock.sinceFirstUs(e.timestampNs()), 6, 3, 9);
        }
        if (uid) {
            Columns.left(l, e.uid(), 6);
        }
        Columns.left(l, e.pid(), 7);
        l.append(' ');
        int start = l.length();
        e.appendComm(l, 12, true);
        Columns.pad(l, 12 - (l.length() - start));
        l.append(' ');
        Columns.left(l, e.ipVersion(), 2);
        l.append(' ');
        start = l.length();
        e.appendSaddr(l);
        Columns.pad(l, 16 - (l.length() - start));
        l.append(' ');
        if (lport) {
            Columns.left(l, e.lport(), 6);
            l.append(' ');
        }
        start = l.length();
        e.appendDaddr(l);
        Columns.pad(l, 16 - (l.length() - start));
        l.append(' ');
        if (tool == Tool.TCPCONNLAT) {
            Columns.left(l, e.dport(), 5);
            l.append(' ');
            if (result) {
                Columns.left(l, e.result().name(), 8);
                l.append(' ');
            }
            Columns.scaled(l, e.latencyUs(), 3, 2, 0);
        } else {
            Columns.left(l, e.dport(), 6);
        }
        if (query != null) {
            l.append(' ');
            query.append(l, e);
        }
        out.endLine();
    }
}
