package dev.tcpconnlat.cli;

import dev.tcpconnlat.bpf.LibC;
import sun.misc.Signal;

/**
 * SIGINT, SIGTERM and SIGHUP ask the tool to stop: the main loop notices within one drain
 * interval, detaches, prints what is left (the count table) and exits 0. Installed first thing
 * in main, so a signal that comes while the command line is parsed or the BPF object loads
 * stops the tool as soon as it can, before or right after attaching. A second signal ends the
 * process at once, even while it is blocked writing to a paused pager; the kernel then
 * detaches every program as it closes the process's BPF link fds. A repeat within
 * {@link #SAME_STOP_NS} is the same request: timeout(1) sends its signal to the tool and then to
 * the tool's whole process group, so one stop often arrives twice at once.
 * <p>
 * sun.misc.Signal (module jdk.unsupported) rather than a shutdown hook, so that the loop itself
 * stops. SIGINT is set back to its default first: a shell starts background jobs with it
 * ignored, and the JVM installs no handler for an ignored signal (the launchers also reset it,
 * for the JVM's start-up). An ignored SIGHUP stays ignored: that is what nohup asks for.
 */
final class StopSignals {
    private static final String[] STOP = {"INT", "TERM", "HUP"};
    static final long SAME_STOP_NS = 300_000_000L;
    private static StopSignals installed;
    private volatile boolean requested;
    private volatile long firstNs;

    /** Installs the handlers once (Main does it first thing); returns them. */
    static synchronized StopSignals install() {
        if (installed == null) {
            StopSignals s = new StopSignals();
            LibC.defaultSignal(new Signal("INT").getNumber());
            for (String name : STOP) {
                Signal.handle(new Signal(name), s::onSignal);
            }
            installed = s;
        }
        return installed;
    }

    private void onSignal(Signal s) {
        long now = System.nanoTime();
        if (!requested) {
            firstNs = now;
            requested = true;
        } else if (now - firstNs >= SAME_STOP_NS) {
            Runtime.getRuntime().halt(128 + s.getNumber());
        }
    }

    boolean requested() {
        return requested;
    }
}
