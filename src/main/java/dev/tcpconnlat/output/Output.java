package dev.tcpconnlat.output;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Buffered text output. Lines are byte strings held one byte per char (ISO-8859-1): comm
 * and the like are printed as the raw bytes the kernel gave, as bcc does. Lines are built in memory and written on {@link #flush}, once per
 * batch of events, so a busy trace costs one write per batch. A closed reader (| head)
 * surfaces as an IOException from flush.
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

    /** Moves the built line, plus a newline, into the buffer. */
    public void endLine() throws IOException {
        line.append('\n');
        int n = line.length();
        if (used + n > bytes.length) {
            flushBuffer();
            if (n > bytes.length) {
                bytes = new byte[n];
            }
        }
        for (int i = 0; i < n; i++) {
            bytes[used++] = (byte) line.charAt(i);
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
