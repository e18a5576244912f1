package dev.tcpconnlat.cli;

import dev.tcpconnlat.bpf.LibBpfLog;
import dev.tcpconnlat.dns.DnsCache;
import dev.tcpconnlat.event.EventLayout;
import dev.tcpconnlat.event.EventView;
import dev.tcpconnlat.histogram.HistogramReport;
import dev.tcpconnlat.output.CountTable;
import dev.tcpconnlat.output.EventPrinter;
import dev.tcpconnlat.output.Output;
import dev.tcpconnlat.trace.Loss;
import dev.tcpconnlat.trace.TraceConfig;
import dev.tcpconnlat.trace.Tracer;
import dev.tcpconnlat.exporter.ConnectMetrics;
import dev.tcpconnlat.exporter.Web;
import dev.tcpconnlat.exporter.WebConfig;
import java.nio.file.Path;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.Function;

/**
 * One run of a tool: checks, load and attach, then print until a stop signal or a closed
 * stdout; on the way out every program is detached (Tracer.close) and every loss reported.
 */
final class Session {
    private final String tool;
    private final PrintStream err;
    private StopSignals stop;
    /** libbpf's FFM stubs, made on another core while picocli parses the command line (see Main). */
    private static FutureTask<Void> libbpf;

    /** Starts loading libbpf (and generating its FFM stubs) on a second thread; {@link #begin} waits for it. */
    static synchronized void prepareLibbpf() {
        if (libbpf == null) {
            libbpf = new FutureTask<>(LibBpfLog::install, null);
            Thread.ofPlatform().daemon().name("libbpf-init").start(libbpf);
        }
    }

    /** Waits for {@link #prepareLibbpf}, rethrowing what it threw (libbpf.so.1 missing). */
    private static void awaitLibbpf() {
        prepareLibbpf();
        try {
            libbpf.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    Session(String tool, PrintStream err) {
        this.tool = tool;
        this.err = err;
    }

    /** Streams events through {@code printer} until stopped; DNS responses go to {@code dns} (-d). */
    int trace(TraceConfig config, boolean verbose, EventPrinter printer, DnsCache dns) throws Exception {
        Output out = new Output(new FileOutputStream(FileDescriptor.out));
        try (Tracer tracer = begin(config, verbose)) {
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
                    reportLoss(loss, newly, total);
                }
            }, stop::requested);
        } catch (IOException e) {
            // stdout was closed (| head): a normal way to stop.
        } finally {
            if (dns != null) {
                reportDns(dns);
            }
        }
        return 0;
    }

    /** Counts in the kernel until stopped, then prints the table. */
    int count(TraceConfig config, boolean verbose, CountTable table) throws Exception {
        Output out = new Output(new FileOutputStream(FileDescriptor.out));
        try (Tracer tracer = begin(config, verbose)) {
            if (tracer == null) {
                return 0;
            }
            out.println("Tracing connect ... Hit Ctrl-C to end");
            out.flush();
            tracer.stream(listener(() -> {}), stop::requested);
            table.print(tracer.counts(), out);
            out.flush();
        } catch (IOException e) {
            // stdout closed
        }
        return 0;
    }

    /**
     * Histograms in the kernel: prints what happened since the last report every
     * {@code intervalS} seconds (0: only once stopped), and once more when stopped.
     */
    int histogram(TraceConfig config, boolean verbose, HistogramReport report, int intervalS, boolean timestamp)
            throws Exception {
        Output out = new Output(new FileOutputStream(FileDescriptor.out));
        try (Tracer tracer = begin(config, verbose)) {
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
            tracer.stream(listener(() -> {
                if (intervalS > 0 && System.nanoTime() - next[0] >= 0) {
                    next[0] += intervalS * 1_000_000_000L;
                    print.run();
                }
            }), stop::requested);
            print.run();
        } catch (IOException | UncheckedIOException e) {
            // stdout closed
        }
        return 0;
    }

    /**
     * The exporter: serves the metrics made for the tracer on {@code address} until stopped;
     * they read the kernel's maps at each scrape. This thread takes cgroup names and removals
     * from the kernel and lets the metrics clean the maps up.
     */
    int export(TraceConfig config, boolean verbose, InetSocketAddress address, String telemetryPath, Path webConfigFile,
            WebConfig web, Function<Tracer, ConnectMetrics> collector) throws Exception {
        try (Tracer tracer = begin(config, verbose)) {
            if (tracer == null) {
                return 0;
            }
            ConnectMetrics metrics = collector.apply(tracer);
            PrometheusRegistry registry = new PrometheusRegistry();
            registry.register(metrics);
            Web server;
            try {
                server = Web.start(address, telemetryPath, registry, webConfigFile, web, m -> err.println(tool + ": " + m));
            } catch (IOException | RuntimeException e) {
                throw new ToolException("cannot listen on " + address.getHostString() + ":" + address.getPort() + ": "
                        + (e.getMessage() == null ? e.toString() : e.getMessage()));
            }
            try (server) {
                tracer.stream(listener(metrics::maintain, metrics::cgroupGone), stop::requested);
                // new requests get 503; detach now (after a snapshot being read), and let the
                // scrapes in flight finish writing theirs while the port closes
                server.refuse();
                tracer.close();
            }
        }
        return 0;
    }

    /** For the modes with no event: {@code tick} after each wake-up, losses reported. */
    private Tracer.Listener listener(Runnable tick) {
        return listener(tick, id -> {});
    }

    /** ... and {@code gone} told of each cgroup removed. */
    private Tracer.Listener listener(Runnable tick, java.util.function.LongConsumer gone) {
        return new Tracer.Listener() {
            @Override
            public void onConnect(EventView event) {}

            @Override
            public void onCgroupGone(long cgroupId) {
                gone.accept(cgroupId);
            }

            @Override
            public void onBatchEnd() {
                tick.run();
            }

            @Override
            public void onLoss(Loss loss, long newly, long total) {
                reportLoss(loss, newly, total);
            }
        };
    }

    /** Checks, loads and attaches; null when a stop signal came first (nothing is attached then). */
    private Tracer begin(TraceConfig config, boolean verbose) {
        stop = StopSignals.install();
        Preflight.check(tool, config.usesCgroupPrograms(), config.mode() == TraceConfig.Mode.LATENCY);
        awaitLibbpf();
        LibBpfLog.setVerbose(verbose);
        return stop.requested() ? null : Tracer.start(config);
    }

    private void reportLoss(Loss loss, long newly, long total) {
        err.println(tool + ": " + newly + " " + loss.description() + " (" + total + " in all)");
    }

    /** At exit, one line if any DNS response could not be used (lost ones were reported as they happened). */
    private void reportDns(DnsCache dns) {
        long unread = dns.malformed() + dns.tooLong();
        if (unread > 0) {
            err.println(tool + ": " + unread + " DNS responses could not be read (" + dns.malformed()
                    + " malformed, " + dns.tooLong() + " longer than " + EventLayout.DNS_MAX_PAYLOAD + " bytes)");
        }
    }
}
