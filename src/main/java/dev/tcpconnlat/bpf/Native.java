package dev.tcpconnlat.bpf;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/** Downcall plumbing shared by {@link LibBpf} and {@link LibC}: errno capture and handle lookup. */
final class Native {
    static final Linker LINKER = Linker.nativeLinker();
    static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** Per-thread space where the JDK stores errno right after a call (libbpf sets it on NULL returns). */
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    private Native() {}

    static MethodHandle handle(SymbolLookup lookup, String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(lookup.findOrThrow(name), fd);
    }

    /** A handle whose first argument is the errno capture segment (see {@link #callState()}). */
    static MethodHandle handleWithErrno(SymbolLookup lookup, String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(lookup.findOrThrow(name), fd, Linker.Option.captureCallState("errno"));
    }

    static MemorySegment callState() {
        return STATE.get();
    }

    static int errno() {
        return (int) ERRNO.get(STATE.get(), 0L);
    }

    static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    static final ValueLayout ADDRESS = ValueLayout.ADDRESS;
}
