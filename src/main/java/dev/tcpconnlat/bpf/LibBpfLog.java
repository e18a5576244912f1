package dev.tcpconnlat.bpf;

import static dev.tcpconnlat.bpf.Native.ADDRESS;
import static dev.tcpconnlat.bpf.Native.C_INT;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Routes libbpf's log. Verbose: every line goes to stderr (like -v in libbpf-tools).
 * Otherwise nothing is printed, but the last warning is kept so that an error message can
 * say what libbpf saw, on one line.
 */
public final class LibBpfLog {
    private static final int LIBBPF_WARN = 0;
    private static volatile boolean verbose;
    private static volatile PrintStream sink = System.err;
    private static volatile String lastWarning = "";

    private LibBpfLog() {}

    /** Whether every line goes to stderr (-v). */
    public static void setVerbose(boolean on) {
        verbose = on;
    }

    /**
     * Loads libbpf.so.1 and installs the callback; called once before anything else touches
     * libbpf. This is also what makes the FFM stubs of every libbpf call (~60 ms at start-up).
     */
    public static synchronized void install() {
        try {
            var target = MethodHandles.lookup().findStatic(LibBpfLog.class, "print",
                    MethodType.methodType(int.class, int.class, MemorySegment.class, MemorySegment.class));
            MemorySegment stub = Native.LINKER.upcallStub(target,
                    FunctionDescriptor.of(C_INT, C_INT, ADDRESS, ADDRESS), Arena.global());
            var ignored = (MemorySegment) LibBpf.SET_PRINT.invokeExact(stub);
        } catch (ExceptionInInitializerError e) {
            // LibBpf's first use is here: a missing libbpf.so.1 surfaces as its initializer failing.
            if (e.getCause() instanceof BpfException b) {
                throw b;
            }
            throw e;
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /** The last warning libbpf logged, trimmed, or "". */
    public static String lastWarning() {
        return lastWarning;
    }

    // int (*libbpf_print_fn_t)(enum libbpf_print_level level, const char *fmt, va_list ap);
    // An upcall must never throw: anything thrown here would kill the JVM.
    private static int print(int level, MemorySegment format, MemorySegment args) {
        try {
            if (!verbose && level != LIBBPF_WARN) {
                return 0;
            }
            try (Arena arena = Arena.ofConfined()) {
                // the verifier log comes as one line of up to hundreds of KiB (only at load, and only with -v in full)
                MemorySegment buf = arena.allocate(verbose ? 1 << 20 : 1024);
                LibC.vsnprintf(buf, format.reinterpret(Long.MAX_VALUE), args);
                String line = buf.getString(0);
                if (level == LIBBPF_WARN && !line.isBlank()) {
                    lastWarning = line.strip();
                }
                if (verbose) {
                    sink.print(line);
                }
            }
        } catch (Throwable ignored) {
            // Losing a log line is better than losing the process.
        }
        return 0;
    }
}
