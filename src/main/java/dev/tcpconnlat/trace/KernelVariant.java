package dev.tcpconnlat.trace;

import static dev.tcpconnlat.bpf.FeatureProbe.insn;

import dev.tcpconnlat.bpf.FeatureProbe;

/**
 * The one place where kernels differ (the KERNEL_VARIANT section of tcpconn.bpf.c): which
 * program of each pair loads, decided by probing the running kernel, never by its version.
 *
 * @param setState the inet_sock_set_state program: {@code handle_set_state} where the verifier
 *     takes an atomic compare-and-exchange (Linux 5.12), else {@code handle_set_state_nocas}
 *     (a histogram's max kept by a plain store)
 * @param soError whether {@code handle_so_error} (cgroup/getsockopt) may load: it needs
 *     CAP_NET_ADMIN; without it a non-blocking connect refused by ICMP, whose error the
 *     application read with getsockopt(SO_ERROR) before closing, ends as ABORTED
 */
record KernelVariant(String setState, boolean soError) {
    static final String SET_STATE = "handle_set_state";
    static final String SET_STATE_NO_CMPXCHG = "handle_set_state_nocas";

    /** Every program that is one of a pair, and so loaded only when the probe picks it. */
    static final String[] ALTERNATIVES = {SET_STATE, SET_STATE_NO_CMPXCHG};

    static final String SO_ERROR = "handle_so_error";

    static KernelVariant probe() {
        return new KernelVariant(hasCmpxchg() ? SET_STATE : SET_STATE_NO_CMPXCHG, loadsGetsockopt());
    }

    /** r0 = 1; exit: a cgroup/getsockopt program that lets every call through. */
    static boolean loadsGetsockopt() {
        return FeatureProbe.loads(FeatureProbe.CGROUP_SOCKOPT, FeatureProbe.CGROUP_GETSOCKOPT,
                insn(0xb7, 0, 0, 0, 1),
                insn(0x95, 0, 0, 0, 0));
    }

    /**
     * r0 = 0; *(u64 *)(r10 - 8) = r0; r1 = 1; r0 = cmpxchg_64(r10 - 8, r0, r1); r0 = 0; exit.
     * Before 5.12 the verifier refuses the atomic ("BPF_XADD uses reserved fields").
     */
    static boolean hasCmpxchg() {
        return FeatureProbe.loads(FeatureProbe.SOCKET_FILTER,
                insn(0xb7, 0, 0, 0, 0),        // BPF_ALU64 | BPF_MOV | BPF_K
                insn(0x7b, 10, 0, -8, 0),      // BPF_STX | BPF_MEM | BPF_DW
                insn(0xb7, 1, 0, 0, 1),
                insn(0xdb, 10, 1, -8, 0xf1),   // BPF_STX | BPF_ATOMIC | BPF_DW, imm BPF_CMPXCHG
                insn(0xb7, 0, 0, 0, 0),
                insn(0x95, 0, 0, 0, 0));       // BPF_JMP | BPF_EXIT
    }
}
