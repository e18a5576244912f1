package dev.tcpconnlat.cli;

import dev.tcpconnlat.dns.DnsCache;
import dev.tcpconnlat.decode.EventLayout;
import dev.tcpconnlat.event.EventView;
import dev.tcpconnlat.output.EventPrinter;
import dev.tcpconnlat.output.Output;
import dev.tcpconnlat.trace.Loss;
import dev.tcpconnlat.trace.TraceConfig;
import dev.tcpconnlat.trace.Tracer;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;

/** tcpconnlat and tcpconnect: a line (or JSON object) per connect until stopped or stdout closes. */
final class EventsMode {
    private EventsMode() {}

    /** Streams events through {@code printer}; DNS responses go to {@code dns} (-d, else null). */
    static int run(Run run, TraceConfig config, EventPrinter printer, DnsCache dns) throws Exception {
        Output out = new Output(new FileOutputStream(FileDescriptor.out));
        try (Tracer tracer = run.start(config)) {
            if (tracer == null) {
                return 0;
            }
            printer.header(out);
            out.flush();
            tracer.stream(new Tracer.Listener() {
                @Override
                public void onConnect(EventView event) throws IOException {
                    printer.print(event, out);
                }

                @Override
                public void onDnsResponse(ByteBuffer payload, int wireLength, long timestampNs) {
                    dns.onResponse(payload, wireLength, timestampNs);
                }

                @Override
                public void onBatchEnd() throws IOException {
                    out.flush();
                }

                @Override
                public void onLoss(Loss loss, long newly, long total) {
                    run.reportLoss(loss, newly, total);
                }
            }, run::stopped);
        } catch (IOException e) {
            // stdout was closed (| head): a normal way to stop.
        } finally {
            if (dns != null) {
                long unread = dns.malformed() + dns.tooLong();
                if (unread > 0) { // lost ones were reported as they happened
                    run.err.println(run.tool + ": " + unread + " DNS responses could not be read (" + dns.malformed()
                            + " malformed, " + dns.tooLong() + " longer than " + EventLayout.DNS_MAX_PAYLOAD + " bytes)");
                }
            }
        }
        return 0;
    }
}
