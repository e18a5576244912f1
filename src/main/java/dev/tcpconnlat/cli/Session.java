package dev.tcpconnlat.cli;

import dev.tcpconnlat.bpf.LibBpfLog;
import dev.tcpconnlat.bpf.RingBuffer;
import dev.tcpconnlat.dns.DnsCache;
import dev.tcpconnlat.event.EventView;
import dev.tcpconnlat.event.EventLayout;
import dev.tcpconnlat.output.CountTable;
import dev.tcpconnlat.output.EventPrinter;
import dev.tcpconnlat.output.Output;
import dev.tcpconnlat.trace.TraceConfig;
import dev.tcpconnlat.trace.Tracer;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import sun.misc.Signal;

/**
 * One run of a tool: checks, load and attach, then print until SIGINT, SIGTERM or a
 * closed stdout; on the way out every program is detached (Tracer.close).
 */
final class Session {
    /** How long user space may sleep before draining events that did not wake it. */
    static final int DRAIN_INTERVAL_MS = 100;
    private static final String RING_FULL = "events lost: the ring buffer was full";

    private final String tool;
    private final PrintStream err;
    private volatile boolean stopping;
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
    int trace(TraceConfig config, boolean verbose, EventPrinter printer, DnsCache dns) throws IOException {
        Output out = new Output(new FileOutputStream(FileDescriptor.out));
        try (Tracer tracer = begin(config, verbose)) {
            printer.header(out);
            out.flush();
            EventView view = new EventView();
            RingBuffer events = tracer.events(record -> {
                if (EventLayout.kind(record) == EventLayout.DNS_RESPONSE) {
                    dns.onResponse(record.asSlice(EventLayout.DNS_PAYLOAD, EventLayout.u32(record, EventLayout.DNS_LEN)),
                            EventLayout.u64(record, EventLayout.DNS_TS_NS));
                } else {
                    printer.print(view.wrap(record), out);
                }
            });
            long reportedLoss = 0;
            while (!stopping) {
                events.poll(DRAIN_INTERVAL_MS);
                events.consume();
                out.flush();
                reportedLoss = reportLoss(tracer.lostEvents(), reportedLoss, RING_FULL);
            }
            events.consume();
            out.flush();
            reportLoss(tracer.lostEvents(), reportedLoss, RING_FULL);
            if (verbose && dns != null && dns.malformed() > 0) {
                err.println(tool + ": " + dns.malformed() + " malformed or truncated DNS responses skipped");
            }
        } catch (IOException e) {
            // stdout was closed (| head): a normal way to stop.
        } catch (Exception e) {
            throw rethrow(e);
        }
        return 0;
    }

    /** Counts in the kernel until stopped, then prints the table. */
    int count(TraceConfig config, boolean verbose, CountTable table) throws IOException {
        Output out = new Output(new FileOutputStream(FileDescriptor.out));
        try (Tracer tracer = begin(config, verbose)) {
            out.println("Tracing connect ... Hit Ctrl-C to end");
            out.flush();
            while (!stopping) {
                sleep();
            }
            table.print(tracer.counts(), out);
            out.flush();
            reportLoss(tracer.lostCounts(), 0, "connects not counted: the count map was full");
        } catch (IOException e) {
            // stdout closed
        }
        return 0;
    }

    private Tracer begin(TraceConfig config, boolean verbose) {
        Preflight.check(tool);
        awaitLibbpf();
        LibBpfLog.setVerbose(verbose);
        // sun.misc.Signal (module jdk.unsupported) rather than a shutdown hook: the main loop itself
        // notices, detaches, prints what is left (the count table) and exits 0.
        Signal.handle(new Signal("INT"), s -> stopping = true);
        Signal.handle(new Signal("TERM"), s -> stopping = true);
        return Tracer.start(config);
    }

    private long reportLoss(long total, long reported, String what) {
        if (total > reported) {
            err.println(tool + ": " + (total - reported) + " " + what + " (" + total + " in all)");
        }
        return total;
    }

    private static void sleep() {
        try {
            Thread.sleep(DRAIN_INTERVAL_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static RuntimeException rethrow(Exception e) {
        return e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }
}
