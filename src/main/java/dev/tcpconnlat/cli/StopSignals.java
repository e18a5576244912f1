package dev.tcpconnlat.cli;

import dev.tcpconnlat.bpf.LibC;
import sun.misc.Signal;

/**
 * SIGINT, SIGTERM and SIGHUP ask the tool to stop: the main loop notices within one drain
 * interval, detaches, prints what is left (the count table) and exits 0. A second signal ends
 * the process at once, even while it is blocked writing to a paused pager; the kernel then
 * detaches every program as it closes the process's BPF link fds.
 * <p>
 * sun.misc.Signal (module jdk.unsupported) rather than a shutdown hook, so that the loop itself
 * stops. SIGINT is set back to its default first: a shell starts background jobs with it
 * ignored, and the JVM installs no handler for an ignored signal. An ignored SIGHUP stays
 * ignored: that is what nohup asks for.
 */
final class StopSignals {
    private static final String[] STOP = {"INT", "TERM", "HUP"};
    private volatile boolean requested;

    static StopSignals install() {
        StopSignals s = new StopSignals();
        LibC.defaultSignal(new Signal("INT").getNumber());
        for (String name : STOP) {
            Signal.handle(new Signal(name), s::onSignal);
        }
        return s;
    }

    private void onSignal(Signal s) {
        if (requested) {
            Runtime.getRuntime().halt(128 + s.getNumber());
        }
        requested = true;
    }

    boolean requested() {
        return requested;
    }
}
