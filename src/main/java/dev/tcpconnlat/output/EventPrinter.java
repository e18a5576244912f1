package dev.tcpconnlat.output;

import dev.tcpconnlat.event.EventView;
import java.io.IOException;

/** Turns events into lines: the bcc-style tables or JSON lines. */
public interface EventPrinter {
    /** Printed once the probes are attached; may print nothing. */
    void header(Output out) throws IOException;

    /** The event is valid only during the call. */
    void print(EventView event, Output out) throws IOException;
}
