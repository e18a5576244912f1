package dev.tcpconnlat.cli;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Checks made before touching the kernel, each failing with one line that says what to do. */
final class Preflight {
    private static final int CAP_NET_ADMIN = 12;
    private static final int CAP_SYS_ADMIN = 21;
    private static final int CAP_PERFMON = 38;
    private static final int CAP_BPF = 39;
    private static final Path BTF = Path.of("/sys/kernel/btf/vmlinux");
    /**
     * tcpconnlat's events need 5.11 (BTF tracepoints and ring buffers are older; socket helpers
     * in tracing programs came by 5.11); histograms (-H, the exporter) need 5.12 for the atomic
     * compare-and-exchange that keeps the maximum, tcpconnect for the socket cookie in a tracing
     * program.
     */
    private static final int MIN_MAJOR = 5;
    private static final int MIN_MINOR = 11;
    private static final int MIN_MINOR_NOT_EVENTS = 12;

    private Preflight() {}

    /**
     * {@code cgroupPrograms}: the run attaches programs to the cgroup v2 root (tcpconnect, -d);
     * {@code latencyEvents}: tcpconnlat's events, the mode that runs on 5.11.
     */
    static void check(String tool, boolean cgroupPrograms, boolean latencyEvents) {
        String missing = missingCapability(effectiveCapabilities(), cgroupPrograms);
        if (missing != null) {
            throw new ToolException("must run as root: missing " + missing
                    + (missing.equals("CAP_NET_ADMIN") ? " (to attach programs to the cgroup v2 root)"
                            : missing.endsWith("CAP_NET_ADMIN") ? " (CAP_NET_ADMIN: to attach programs to the cgroup v2 root)" : "")
                    + ": try sudo " + tool);
        }
        String release = System.getProperty("os.version");
        int minor = latencyEvents ? MIN_MINOR : MIN_MINOR_NOT_EVENTS;
        if (tooOld(release, minor)) {
            throw new ToolException("kernel " + release + " is too old: " + tool + " needs Linux "
                    + MIN_MAJOR + "." + minor + " or newer" + (latencyEvents ? "" : " for this mode"));
        }
        if (!hasBtf()) {
            throw new ToolException("this kernel has no BTF (" + BTF
                    + " is missing): it needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
        }
    }

    /**
     * Every capability the run lacks, named at once ("CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN"),
     * or null: CAP_SYS_ADMIN stands for CAP_BPF and CAP_PERFMON, not for CAP_NET_ADMIN.
     */
    static String missingCapability(BigInteger caps, boolean cgroupPrograms) {
        List<String> missing = new ArrayList<>();
        if (!caps.testBit(CAP_BPF) && !caps.testBit(CAP_SYS_ADMIN)) {
            missing.add("CAP_BPF");
        }
        if (!caps.testBit(CAP_PERFMON) && !caps.testBit(CAP_SYS_ADMIN)) {
            missing.add("CAP_PERFMON");
        }
        if (cgroupPrograms && !caps.testBit(CAP_NET_ADMIN)) {
            missing.add("CAP_NET_ADMIN");
        }
        if (missing.isEmpty()) {
            return null;
        }
        String last = missing.removeLast();
        return missing.isEmpty() ? last : String.join(", ", missing) + " and " + last;
    }

    private static boolean hasBtf() {
        try {
            return Files.isReadable(BTF) && Files.size(BTF) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    static boolean tooOld(String release, int minMinor) {
        String[] v = release.split("[.-]");
        try {
            int major = Integer.parseInt(v[0]);
            int minor = v.length > 1 ? Integer.parseInt(v[1]) : 0;
            return major < MIN_MAJOR || (major == MIN_MAJOR && minor < minMinor);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static BigInteger effectiveCapabilities() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    return new BigInteger(line.substring(7).trim(), 16);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Unknown: let the kernel decide.
        }
        return BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    }
}
