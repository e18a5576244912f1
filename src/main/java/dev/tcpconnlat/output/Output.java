package dev.tcpconnlat.output;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Buffered UTF-8 text output. Lines are built in memory and written on {@link #flush}, once
 * per batch of events, so a busy trace costs one write per batch; nothing is allocated per
 * line. A closed reader (| head) surfaces as an IOException from flush.
 */
public final class Output {
    private final OutputStream stream;
    private final StringBuilder line = new StringBuilder(256);
    private byte[] bytes = new byte[64 * 1024];
    private int used;

    public Output(OutputStream stream) {
        this.stream = stream;
    }

    /** The line being built; finish it with {@link #endLine}. */
    public StringBuilder line() {
        return line;
    }

    /** Moves the built line, plus a newline, into the buffer, encoded as UTF-8. */
    public void endLine() throws IOException {
        line.append('\n');
        int n = line.length();
        int most = 3 * n; // a char takes at most 3 bytes (a surrogate pair, 4 for 2 chars)
        if (used + most > bytes.length) {
            flushBuffer();
            if (most > bytes.length) {
                bytes = new byte[most];
            }
        }
        for (int i = 0; i < n; i++) {
            char c = line.charAt(i);
            if (c < 0x80) {
                bytes[used++] = (byte) c;
            } else if (c < 0x800) {
                bytes[used++] = (byte) (0xc0 | c >> 6);
                bytes[used++] = (byte) (0x80 | c & 0x3f);
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(line.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, line.charAt(++i));
                bytes[used++] = (byte) (0xf0 | cp >> 18);
                bytes[used++] = (byte) (0x80 | cp >> 12 & 0x3f);
                bytes[used++] = (byte) (0x80 | cp >> 6 & 0x3f);
                bytes[used++] = (byte) (0x80 | cp & 0x3f);
            } else {
                char d = Character.isSurrogate(c) ? '\ufffd' : c;
                bytes[used++] = (byte) (0xe0 | d >> 12);
                bytes[used++] = (byte) (0x80 | d >> 6 & 0x3f);
                bytes[used++] = (byte) (0x80 | d & 0x3f);
            }
        }
        line.setLength(0);
    }

    /** Raw bytes, e.g. a JSON line produced elsewhere. */
    public void write(byte[] b, int off, int len) throws IOException {
        if (used + len > bytes.length) {
            flushBuffer();
            if (len > bytes.length) {
                stream.write(b, off, len);
                return;
            }
        }
        System.arraycopy(b, off, bytes, used, len);
        used += len;
    }

    /** Appends {@code s}, which must be ASCII, as a line. */
    public void println(String s) throws IOException {
        line.append(s);
        endLine();
    }

    private void flushBuffer() throws IOException {
        if (used > 0) {
            stream.write(bytes, 0, used);
            used = 0;
        }
    }

    public void flush() throws IOException {
        flushBuffer();
        stream.flush();
    }
}
