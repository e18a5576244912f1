package dev.tcpconnlat.bpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Whether the running kernel's verifier accepts a few instructions, as libbpf's and
 * cilium/ebpf's feature probes ask it: load them as a program, close it, answer yes or no.
 */
public final class FeatureProbe {
    /** enum bpf_prog_type: BPF_PROG_TYPE_SOCKET_FILTER, the plainest program type. */
    public static final int SOCKET_FILTER = 1;
    /** enum bpf_prog_type: BPF_PROG_TYPE_CGROUP_SOCKOPT (cgroup/getsockopt, cgroup/setsockopt). */
    public static final int CGROUP_SOCKOPT = 25;
    /** enum bpf_attach_type: BPF_CGROUP_GETSOCKOPT. */
    public static final int CGROUP_GETSOCKOPT = 21;

    private FeatureProbe() {}

    /**
     * struct bpf_insn { __u8 code; __u8 dst_reg:4, src_reg:4; __s16 off; __s32 imm; }
     * (little-endian: dst_reg in the low nibble).
     */
    public static long insn(int code, int dst, int src, int off, int imm) {
        return (code & 0xffL) | (long) (dst & 0xf) << 8 | (long) (src & 0xf) << 12
                | (long) (off & 0xffff) << 16 | (imm & 0xffffffffL) << 32;
    }

    /** Whether a program of {@code progType} made of {@code insns} loads. */
    public static boolean loads(int progType, long... insns) {
        return loads(progType, 0, insns);
    }

    /**
     * The same for a type that needs its attach type at load (cgroup sockopt programs).
     * struct bpf_prog_load_opts { size_t sz; int attempts; enum bpf_attach_type
     * expected_attach_type; ... }: passed only as far as expected_attach_type (sz 16).
     */
    public static boolean loads(int progType, int expectedAttachType, long... insns) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment opts = MemorySegment.NULL;
            if (expectedAttachType != 0) {
                opts = tmp.allocate(16, 8);
                opts.set(ValueLayout.JAVA_LONG, 0, 16);
                opts.set(ValueLayout.JAVA_INT, 12, expectedAttachType);
            }
            int fd = (int) LibBpf.PROG_LOAD.invokeExact(progType, tmp.allocateFrom("probe"), tmp.allocateFrom("GPL"),
                    tmp.allocateFrom(ValueLayout.JAVA_LONG, insns), (long) insns.length, opts);
            if (fd < 0) {
                return false;
            }
            LibC.close(fd);
            return true;
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }
}
