package dev.tcpconnlat.cli;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks made before touching the kernel, each failing with one line that says what to do. */
final class Preflight {
    private static final int CAP_SYS_ADMIN = 21;
    private static final int CAP_PERFMON = 38;
    private static final int CAP_BPF = 39;
    private static final Path BTF = Path.of("/sys/kernel/btf/vmlinux");
    /** BPF socket storage from BTF tracepoints arrived in 5.11; ring buffers in 5.8. */
    private static final int MIN_MAJOR = 5;
    private static final int MIN_MINOR = 11;

    private Preflight() {}

    static void check(String tool) {
        BigInteger caps = effectiveCapabilities();
        boolean allowed = caps.testBit(CAP_SYS_ADMIN) || (caps.testBit(CAP_BPF) && caps.testBit(CAP_PERFMON));
        if (!allowed) {
            throw new ToolException("must run as root (needs CAP_BPF and CAP_PERFMON): try sudo ./" + tool);
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
