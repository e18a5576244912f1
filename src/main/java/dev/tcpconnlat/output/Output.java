package dev.tcpconnlat.output;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Buffered UTF-8 text output. Lines are built as bytes ({@link Line}) and written on {@link #flush}, once
 * per batch of events, so a busy trace costs one write per batch; nothing is allocated per
 * line. A closed reader (| head) surfaces as an IOException from flush.
 */
public final class Output {
    private final OutputStream stream;
    private final Line line = new Line();
    private byte[] bytes = new byte[64 * 1024];
    private int used;

    public Output(OutputStream stream) {
        this.stream = stream;
    }

    /** The line being built; finish it with {@link #endLine}. */
    public Line line() {
        return line;
    }

    /** Moves the built line, plus a newline, into the buffer. */
    public void endLine() throws IOException {
        line.append('\n');
        write(line.bytes(), 0, line.byteLength());
        line.clear();
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

    /** Appends {@code s} as a line. */
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
