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

/**
 * Downcall plumbing shared by {@link LibBpf} and {@link LibC}: handle lookup, errno capture, and
 * the binding's one error policy. A failed call is a {@link BpfException} naming what was
 * attempted and the errno in words: libbpf's int results are -errno ({@link BpfException#check}),
 * its pointer results NULL with errno set, libc's results -1 with errno set ({@link #check});
 * anything else a downcall throws (it runs no Java code: only JVM errors) goes through
 * {@link #failed}, unchanged when unchecked.
 */
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

    /** libc's convention: a negative result means errno says why. */
    static int check(int result, String what) {
        if (result < 0) {
            throw new BpfException(what, errno());
        }
        return result;
    }

    /** What to throw for what a downcall's try block caught: unchecked ones as they are, anything else wrapped. */
    static RuntimeException failed(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    static final ValueLayout ADDRESS = ValueLayout.ADDRESS;
}
