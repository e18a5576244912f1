package dev.tcpconnlat.output;

import dev.tcpconnlat.event.EventView;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The column layouts of bcc's Python tools, so scripts and habits carry over:
 * <pre>
 * tcpconnlat  [TIME(s)  ]PID     COMM         IP SADDR            [LPORT  ]DADDR            DPORT [RESULT   ][RETR ]LAT(ms)
 * tcpconnect  [TIME(s)  ][UID   ]PID     COMM         IP SADDR            [LPORT  ]DADDR            DPORT [ QUERY]
 * </pre>
 * tcpconnlat's RESULT (-e) and RETR (-r: SYNs retransmitted) columns go before LAT(ms) so that
 * the latency stays last; with -d
 * both tools end with a QUERY column. Each column is declared once, in {@link #columns}: the
 * header and every row are printed from that one list.
 */
public final class TextTable implements EventPrinter {
    /** Which tool's columns. */
    public enum Tool { TCPCONNLAT, TCPCONNECT }

    /** Appends one field of an event to a line, allocating nothing. */
    @FunctionalInterface
    interface Field {
        void append(Line line, EventView e);
    }

    /**
     * One column: its header, the width both are padded to (%-Ns; 0: not padded), whether a
     * space follows it (bcc's formats join some columns without one), and its field.
     */
    record Column(String header, int width, boolean space, Field field) {}

    /** An array, not a List: iterating a List allocates an iterator per event (C1 does no escape analysis). */
    private final Column[] columns;
    private final CommText comm = new CommText();
    private final byte[] address = new byte[EventView.ADDRSTRLEN];

    /** {@code retransmits}: tcpconnlat's RETR column (-r); {@code query} is null without -d. */
    public TextTable(Tool tool, boolean timestamp, boolean uid, boolean lport, boolean result, boolean retransmits,
            QueryColumn query) {
        this.columns = columns(tool, timestamp, uid, lport, result, retransmits, query).toArray(Column[]::new);
    }

    private List<Column> columns(Tool tool, boolean timestamp, boolean uid, boolean lport, boolean result,
            boolean retransmits, QueryColumn query) {
        List<Column> c = new ArrayList<>();
        if (timestamp) {
            FirstEventClock clock = new FirstEventClock();
            c.add(new Column("TIME(s)", 9, false, (l, e) -> Columns.scaled(l, clock.sinceFirstUs(e.timestampNs()), 6, 3, 0)));
        }
        if (uid) {
            c.add(new Column("UID", 6, false, (l, e) -> l.append(e.uid())));
        }
        c.add(new Column("PID", 7, true, (l, e) -> l.append(e.pid())));
        c.add(new Column("COMM", 12, true, (l, e) -> comm.append(l, e, 12)));
        c.add(new Column("IP", 2, true, (l, e) -> l.append(e.ipVersion())));
        c.add(new Column("SADDR", 16, true, (l, e) -> l.appendAscii(address, 0, e.saddr(address))));
        if (lport) {
            c.add(new Column("LPORT", 6, true, (l, e) -> l.append(e.lport())));
        }
        c.add(new Column("DADDR", 16, true, (l, e) -> l.appendAscii(address, 0, e.daddr(address))));
        boolean beforeQuery = query != null;
        if (tool == Tool.TCPCONNLAT) {
            c.add(new Column("DPORT", 5, true, (l, e) -> l.append(e.dport())));
            if (result) {
                c.add(new Column("RESULT", 8, true, (l, e) -> l.append(e.result().name())));
            }
            if (retransmits) {
                c.add(new Column("RETR", 4, true, (l, e) -> l.append(e.synRetransmits())));
            }
            c.add(new Column("LAT(ms)", 0, beforeQuery, (l, e) -> Columns.scaled(l, e.latencyUs(), 3, 2, 0)));
        } else {
            c.add(new Column("DPORT", 6, beforeQuery, (l, e) -> l.append(e.dport())));
        }
        if (query != null) {
            c.add(new Column("QUERY", 0, false, query::append));
        }
        return List.copyOf(c);
    }

    @Override
    public void header(Output out) throws IOException {
        Line l = out.line();
        for (Column c : columns) {
            Columns.left(l, c.header(), c.width());
            if (c.space()) {
                l.append(' ');
            }
        }
        out.endLine();
    }

    @Override
    public void print(EventView e, Output out) throws IOException {
        Line l = out.line();
        for (Column c : columns) {
            int start = l.length();
            c.field().append(l, e);
            l.pad(c.width() - (l.length() - start));
            if (c.space()) {
                l.append(' ');
            }
        }
        out.endLine();
    }
}
