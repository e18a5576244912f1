package dev.tcpconnlat.cli;

import dev.tcpconnlat.output.CountTable;
import dev.tcpconnlat.output.Output;
import dev.tcpconnlat.trace.TraceConfig;
import dev.tcpconnlat.trace.Tracer;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;

/** tcpconnect -c: counts in the kernel until stopped, then the table. */
final class CountMode {
    private CountMode() {}

    static int run(Run run, TraceConfig config, CountTable table) throws Exception {
        Output out = new Output(new FileOutputStream(FileDescriptor.out));
        try (Tracer tracer = run.start(config)) {
            if (tracer == null) {
                return 0;
            }
            out.println("Tracing connect ... Hit Ctrl-C to end");
            out.flush();
            tracer.stream(run.listener(() -> {}, id -> {}), run::stopped);
            table.print(tracer.counts(), out);
            out.flush();
        } catch (IOException e) {
            // stdout closed
        }
        return 0;
    }
}
