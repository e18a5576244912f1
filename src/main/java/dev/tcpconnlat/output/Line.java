package dev.tcpconnlat.output;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The line being built, as UTF-8 bytes (what a StringBuilder would hold, without the char to
 * byte pass afterwards, and cheap under C1: array stores, no coder checks). {@link #length}
 * counts code points, what Python's {@code %-Ns} pads and cuts by. Allocates nothing once
 * grown to the longest line.
 */
public final class Line {
    private byte[] bytes = new byte[256];
    private int used;
    private int chars;

    /** Code points appended so far. */
    public int length() {
        return chars;
    }

    public Line append(char c) {
        if (c < 0x80) {
            room(1);
            bytes[used++] = (byte) c;
            chars++;
            return this;
        }
        return appendCodePoint(c);
    }

    public Line append(CharSequence s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                appendCodePoint(Character.toCodePoint(c, s.charAt(++i)));
            } else {
                append(c);
            }
        }
        return this;
    }

    /** {@code n} bytes of ASCII text, e.g. an address or a comm already checked to be printable. */
    public Line appendAscii(byte[] b, int off, int n) {
        room(n);
        System.arraycopy(b, off, bytes, used, n);
        used += n;
        chars += n;
        return this;
    }

    /** Every byte of {@code b}, ASCII text. */
    public Line appendAscii(byte[] b) {
        return appendAscii(b, 0, b.length);
    }

    /**
     * Every byte of {@code b}, UTF-8 text, its code points not counted by {@link #length}: for a
     * line nobody pads (JSON), where counting would cost a pass over every byte.
     */
    public Line appendUtf8Uncounted(byte[] b) {
        room(b.length);
        System.arraycopy(b, 0, bytes, used, b.length);
        used += b.length;
        return this;
    }

    /** In decimal, as Long.toString, without making a String. */
    public Line append(long v) {
        if (v < 0) {
            if (v == Long.MIN_VALUE) {
                return append("-9223372036854775808");
            }
            append('-');
            v = -v;
        }
        room(19);
        int end = used + 19;
        int at = end;
        while (v > Integer.MAX_VALUE) { // a 64-bit division per digit only for large values
            long q = v / 10;
            bytes[--at] = (byte) ('0' + (v - q * 10));
            v = q;
        }
        int i = (int) v;
        do {
            int q = i / 10;
            bytes[--at] = (byte) ('0' + (i - q * 10));
            i = q;
        } while (i != 0);
        int digits = end - at;
        System.arraycopy(bytes, at, bytes, used, digits);
        used += digits;
        chars += digits;
        return this;
    }

    /** {@code n} spaces (none when n <= 0). */
    public Line pad(int n) {
        if (n > 0) {
            room(n);
            Arrays.fill(bytes, used, used + n, (byte) ' ');
            used += n;
            chars += n;
        }
        return this;
    }

    /** One Unicode code point (a surrogate, which UTF-8 cannot hold, becomes U+FFFD). */
    public Line appendCodePoint(int cp) {
        if (cp < 0x80) {
            return append((char) cp);
        }
        if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) {
            cp = '\ufffd';
        }
        room(4);
        if (cp < 0x800) {
            bytes[used++] = (byte) (0xc0 | cp >> 6);
        } else {
            if (cp < 0x10000) {
                bytes[used++] = (byte) (0xe0 | cp >> 12);
            } else {
                bytes[used++] = (byte) (0xf0 | cp >> 18);
                bytes[used++] = (byte) (0x80 | cp >> 12 & 0x3f);
            }
            bytes[used++] = (byte) (0x80 | cp >> 6 & 0x3f);
        }
        bytes[used++] = (byte) (0x80 | cp & 0x3f);
        chars++;
        return this;
    }

    private void room(int n) {
        if (used + n > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(2 * bytes.length, used + n));
        }
    }

    byte[] bytes() {
        return bytes;
    }

    int byteLength() {
        return used;
    }

    void clear() {
        used = 0;
        chars = 0;
    }

    @Override
    public String toString() {
        return new String(bytes, 0, used, StandardCharsets.UTF_8);
    }
}
