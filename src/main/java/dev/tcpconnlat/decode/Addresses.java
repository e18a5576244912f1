package dev.tcpconnlat.decode;

import dev.tcpconnlat.bpf.LibC;
import dev.tcpconnlat.event.EventView;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * IP addresses as text, exactly as bcc prints them: inet_ntop(3) (e.g. "::ffff:127.0.0.1").
 * A connect storm repeats the same few addresses, so each instance remembers the text of the
 * last 64 it formatted (direct-mapped): a hit costs no native call and allocates nothing.
 * Not thread-safe: one per thread ({@link EventView} has its own; {@link #of} one per thread).
 */
public final class Addresses {
    private static final int SLOTS = 64;
    private static final ThreadLocal<Addresses> SHARED = ThreadLocal.withInitial(Addresses::new);

    /** Native buffers for inet_ntop, and the cache. */
    private final MemorySegment raw;
    private final MemorySegment text;
    private final long[] high = new long[SLOTS];
    private final long[] low = new long[SLOTS];
    private final int[] families = new int[SLOTS]; // 0: empty slot
    private final byte[][] ascii = new byte[SLOTS][EventView.ADDRSTRLEN];
    private final int[] length = new int[SLOTS];

    public Addresses() {
        Arena arena = Arena.ofAuto();
        raw = arena.allocate(16);
        text = arena.allocate(EventView.ADDRSTRLEN);
    }

    /**
     * Writes the text of the 4- or 16-byte address at {@code offset} of {@code src} into
     * {@code dst} (ASCII, at least {@link EventView#ADDRSTRLEN} bytes); returns its length. Allocates nothing.
     */
    public int format(int family, byte[] src, int offset, byte[] dst) {
        int size = family == LibC.AF_INET ? 4 : 16;
        // the cache's key: the address as numbers (in any byte order: only equality matters)
        long h0 = size == 4 ? EventLayout.u32(src, offset) : EventLayout.u64(src, offset);
        long l0 = size == 4 ? 0 : EventLayout.u64(src, offset + 8);
        long h = (h0 * 0x9E3779B97F4A7C15L) ^ (l0 * 0xC2B2AE3D27D4EB4FL) ^ family;
        int slot = (int) (h >>> 58) & (SLOTS - 1);
        if (families[slot] != family || high[slot] != h0 || low[slot] != l0) {
            MemorySegment.copy(src, offset, raw, ValueLayout.JAVA_BYTE, 0, size);
            int n = LibC.inetNtop(family, raw, text);
            MemorySegment.copy(text, ValueLayout.JAVA_BYTE, 0, ascii[slot], 0, n);
            length[slot] = n;
            families[slot] = family;
            high[slot] = h0;
            low[slot] = l0;
        }
        System.arraycopy(ascii[slot], 0, dst, 0, length[slot]);
        return length[slot];
    }

    public static String of(int family, byte[] src, int offset) {
        byte[] text = new byte[EventView.ADDRSTRLEN];
        return new String(text, 0, SHARED.get().format(family, src, offset, text), StandardCharsets.US_ASCII);
    }

    public static String of(int family, MemorySegment src, long offset) {
        return of(family, src.asSlice(offset, family == LibC.AF_INET ? 4 : 16).toArray(ValueLayout.JAVA_BYTE), 0);
    }

    /** A 4-byte (IPv4) or 16-byte (IPv6) address. */
    public static String of(byte[] address) {
        return of(address.length == 4 ? LibC.AF_INET : LibC.AF_INET6, address, 0);
    }
}
