package dev.tcpconnlat.event;

import dev.tcpconnlat.bpf.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * IP addresses as text, exactly as bcc prints them: inet_ntop(3) (e.g. "::ffff:127.0.0.1").
 * A connect storm repeats the same few addresses, so each thread remembers the text of the
 * last 64 it formatted (direct-mapped): a hit costs no native call and allocates nothing.
 */
public final class Addresses {
    private static final int SLOTS = 64;
    private static final ValueLayout.OfLong RAW_LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    /** Per thread: native buffers for inet_ntop, and the cache. */
    private static final class Scratch {
        final MemorySegment raw;
        final MemorySegment text;
        final long[] high = new long[SLOTS];
        final long[] low = new long[SLOTS];
        final int[] family = new int[SLOTS]; // 0: empty slot
        final char[][] chars = new char[SLOTS][LibC.ADDRSTRLEN];
        final int[] length = new int[SLOTS];

        Scratch() {
            Arena arena = Arena.ofAuto();
            raw = arena.allocate(16);
            text = arena.allocate(LibC.ADDRSTRLEN);
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Addresses() {}

    /** Appends the 4- or 16-byte address at {@code offset} of {@code src}; allocates nothing. */
    public static void append(StringBuilder out, int family, MemorySegment src, long offset) {
        Scratch s = SCRATCH.get();
        int size = family == LibC.AF_INET ? 4 : 16;
        long high = size == 4 ? Integer.toUnsignedLong(src.get(ValueLayout.JAVA_INT_UNALIGNED, offset))
                : src.get(RAW_LONG, offset);
        long low = size == 4 ? 0 : src.get(RAW_LONG, offset + 8);
        long h = (high * 0x9E3779B97F4A7C15L) ^ (low * 0xC2B2AE3D27D4EB4FL) ^ family;
        int slot = (int) (h >>> 58) & (SLOTS - 1);
        if (s.family[slot] != family || s.high[slot] != high || s.low[slot] != low) {
            MemorySegment.copy(src, offset, s.raw, 0, size);
            int n = LibC.inetNtop(family, s.raw, s.text);
            for (int i = 0; i < n; i++) {
                s.chars[slot][i] = (char) s.text.get(ValueLayout.JAVA_BYTE, i);
            }
            s.length[slot] = n;
            s.family[slot] = family;
            s.high[slot] = high;
            s.low[slot] = low;
        }
        out.append(s.chars[slot], 0, s.length[slot]);
    }

    public static String of(int family, MemorySegment src, long offset) {
        StringBuilder b = new StringBuilder(LibC.ADDRSTRLEN);
        append(b, family, src, offset);
        return b.toString();
    }

    /** A 4-byte (IPv4) or 16-byte (IPv6) address. */
    public static String of(byte[] address) {
        return of(address.length == 4 ? LibC.AF_INET : LibC.AF_INET6, MemorySegment.ofArray(address), 0);
    }
}
