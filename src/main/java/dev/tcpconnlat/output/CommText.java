package dev.tcpconnlat.output;

import dev.tcpconnlat.event.EventView;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * COMM as the tables print it ({@code %-12.12s} of the decoded name): at most {@code max}
 * characters, UTF-8 with invalid bytes replaced (U+FFFD), control characters as '?' (as ps
 * prints them), so that a comm can neither split a line nor send a terminal escape sequence.
 * Printable ASCII, the common case, is copied as it is. Allocates nothing; one per table.
 */
final class CommText {
    private final byte[] raw = new byte[EventView.COMM_LEN];
    private final ByteBuffer in = ByteBuffer.wrap(raw);
    private final CharBuffer chars = CharBuffer.allocate(EventView.COMM_LEN);
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);

    void append(Line out, EventView e, int max) {
        int n = e.comm(raw);
        if (printableAscii(n)) {
            out.appendAscii(raw, 0, Math.min(n, max));
            return;
        }
        in.clear().limit(n);
        chars.clear();
        utf8.reset().decode(in, chars, true);
        utf8.flush(chars);
        chars.flip();
        for (int i = 0, printed = 0; i < chars.limit() && printed < max; printed++) {
            int cp = Character.codePointAt(chars, i);
            i += Character.charCount(cp);
            out.appendCodePoint(Character.isISOControl(cp) ? '?' : cp);
        }
    }

    private boolean printableAscii(int n) {
        for (int i = 0; i < n; i++) {
            if (raw[i] < 0x20 || raw[i] == 0x7f) { // negative: not ASCII
                return false;
            }
        }
        return true;
    }
}
