package dev.tcpconnlat.output;

import dev.tcpconnlat.event.ConnectCount;
import java.io.IOException;
import java.util.List;

/** tcpconnect -c's table, as bcc prints it after Ctrl-C; with -s the source port is a column too. */
public final class CountTable {
    private final boolean lport;

    public CountTable(boolean lport) {
        this.lport = lport;
    }

    public void print(List<ConnectCount> rows, Output out) throws IOException {
        out.println("");
        Line l = out.line();
        Columns.left(l, "LADDR", 25);
        l.append(' ');
        if (lport) {
            Columns.left(l, "LPORT", 20);
            l.append(' ');
        }
        Columns.left(l, "RADDR", 25);
        l.append(' ');
        Columns.left(l, "RPORT", 20);
        l.append(' ');
        Columns.left(l, "CONNECTS", 10);
        out.endLine();
        for (ConnectCount c : rows) {
            l = out.line();
            Columns.left(l, c.saddr(), 25);
            l.append(' ');
            if (lport) {
                Columns.left(l, c.lport(), 20);
                l.append(' ');
            }
            Columns.left(l, c.daddr(), 25);
            l.append(' ');
            Columns.left(l, c.dport(), 20);
            l.append(' ');
            Columns.left(l, c.count(), 10);
            out.endLine();
        }
    }
}
