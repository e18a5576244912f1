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
     * The oldest kernel every mode was measured on (scripts/kernels: Debian's 5.10); what differs
     * above it is probed when loading (trace.KernelVariant), not decided by the version.
     */
    private static final int MIN_MAJOR = 5;
    private static final int MIN_MINOR = 10;

    private Preflight() {}

    /** {@code cgroupPrograms}: the run attaches programs to the cgroup v2 root (tcpconnect, -d). */
    static void check(String tool, boolean cgroupPrograms) {
        String missing = missingCapability(effectiveCapabilities(), cgroupPrograms);
        if (missing != null) {
            throw new ToolException("must run as root: missing " + missing
                    + (missing.equals("CAP_NET_ADMIN") ? " (to attach programs to the cgroup v2 root)"
                            : missing.endsWith("CAP_NET_ADMIN") ? " (CAP_NET_ADMIN: to attach programs to the cgroup v2 root)" : "")
                    + ": try sudo " + tool);
        }
        String release = System.getProperty("os.version");
        if (tooOld(release)) {
            throw new ToolException("kernel " + release + " is too old: " + tool + " needs Linux "
                    + MIN_MAJOR + "." + MIN_MINOR + " or newer");
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

    static boolean tooOld(String release) {
        String[] v = release.split("[.-]");
        try {
            int major = Integer.parseInt(v[0]);
            int minor = v.length > 1 ? Integer.parseInt(v[1]) : 0;
            return major < MIN_MAJOR || (major == MIN_MAJOR && minor < MIN_MINOR);
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
