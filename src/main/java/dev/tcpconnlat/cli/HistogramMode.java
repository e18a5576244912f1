package dev.tcpconnlat.cli;

import dev.tcpconnlat.histogram.HistogramReport;
import dev.tcpconnlat.output.Output;
import dev.tcpconnlat.trace.TraceConfig;
import dev.tcpconnlat.trace.Tracer;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * tcpconnlat -H: histograms in the kernel; prints what happened since the last report every
 * {@code intervalS} seconds (0: only once stopped), and once more when stopped.
 */
final class HistogramMode {
    private HistogramMode() {}

    static int run(Run run, TraceConfig config, HistogramReport report, int intervalS, boolean timestamp)
            throws Exception {
        Output out = new Output(new FileOutputStream(FileDescriptor.out));
        try (Tracer tracer = run.start(config)) {
            if (tracer == null) {
                return 0;
            }
            out.println("Tracing TCP connect latency... Hit Ctrl-C to end.");
            out.flush();
            long[] next = {System.nanoTime() + intervalS * 1_000_000_000L};
            Runnable print = () -> {
                try {
                    out.println("");
                    if (timestamp) {
                        out.println(LocalTime.now().truncatedTo(ChronoUnit.SECONDS).format(DateTimeFormatter.ISO_LOCAL_TIME));
                    }
                    report.print(tracer.histograms(), out);
                    out.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            };
            tracer.stream(run.listener(() -> {
                if (intervalS > 0 && System.nanoTime() - next[0] >= 0) {
                    next[0] += intervalS * 1_000_000_000L;
                    print.run();
                }
            }, id -> {}), run::stopped);
            print.run();
        } catch (IOException | UncheckedIOException e) {
            // stdout closed
        }
        return 0;
    }
}
