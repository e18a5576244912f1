package dev.tcpconnlat.cli;

import dev.tcpconnlat.trace.Loss;
import dev.tcpconnlat.trace.TraceConfig;
import dev.tcpconnlat.trace.Tracer;
import java.io.PrintStream;
import java.util.function.LongConsumer;

/**
 * One run of a tool, whatever its mode: stop signals, the privilege and kernel checks, the
 * engine started (or not, when a stop came first: nothing is attached then), and each loss the
 * kernel side reports, one line on stderr. Each mode (EventsMode, CountMode, HistogramMode, the
 * exporter's Exporter) runs the engine's one loop, {@link Tracer#stream}, until {@link #stopped}.
 */
final class Run {
    final String tool;
    final PrintStream err;
    private final StopSignals stop = StopSignals.install();

    Run(String tool, PrintStream err) {
        this.tool = tool;
        this.err = err;
    }

    /** Checks, loads and attaches; null when a stop signal came first. */
    Tracer start(TraceConfig config) {
        Preflight.check(tool, config.usesCgroupPrograms());
        if (stop.requested()) {
            return null;
        }
        Tracer tracer = Tracer.start(config);
        if (config.reportFailures() && !tracer.readsSoError()) {
            err.println(tool + ": without CAP_NET_ADMIN, a non-blocking connect refused by ICMP shows as ABORTED"
                    + " when its application read the error (getsockopt SO_ERROR) before closing");
        }
        return tracer;
    }

    boolean stopped() {
        return stop.requested();
    }

    void reportLoss(Loss loss, long newly, long total) {
        err.println(tool + ": " + newly + " " + loss.description() + " (" + total + " in all)");
    }

    /** For the modes with no event: {@code tick} after each wake-up, {@code gone} told of each cgroup removed. */
    Tracer.Listener listener(Runnable tick, LongConsumer gone) {
        return Tracer.Listener.withoutEvents(tick, gone, this::reportLoss);
    }
}
