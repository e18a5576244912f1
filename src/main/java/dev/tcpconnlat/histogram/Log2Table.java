package dev.tcpconnlat.histogram;

import dev.tcpconnlat.event.Buckets;
import dev.tcpconnlat.event.LatencyHistogram;
import dev.tcpconnlat.output.Output;
import java.io.IOException;
import java.util.Locale;

/**
 * bcc's power-of-two table (print_log2_hist of biolatency, tcprtt), byte for byte. The kernel's
 * buckets for -H are four per row ({@link Buckets#log2}), so each row holds exactly the
 * connects whose latency, in whole units as bcc truncates it, falls in it: slot i holds
 * [2^(i-1), 2^i - 1] of the unit, slot 1 also 0.
 * <pre>
 *      usecs               : count     distribution
 *          0 -> 1          : 0        |                                        |
 *          2 -> 3          : 5        |****************************************|
 * </pre>
 */
final class Log2Table {
    private static final int STARS = 40;

    private Log2Table() {}

    static void print(LatencyHistogram h, Output out) throws IOException {
        long[] slots = new long[65];
        int last = 0;
        for (int i = 0; i < Buckets.BUCKETS; i++) {
            if (h.buckets()[i] == 0) {
                continue;
            }
            int slot = h.scale().row(i) + 1;
            slots[slot] += h.buckets()[i];
            last = Math.max(last, slot);
        }
        boolean millis = h.scale().unitNs() >= 1_000_000;
        long max = 0;
        for (long c : slots) {
            max = Math.max(max, c);
        }
        if (last == 0) {
            return;
        }
        boolean wide = last > 32;
        int stars = wide ? STARS / 2 : STARS;
        out.println(String.format(Locale.ROOT, wide ? "               %-29s : count     distribution"
                : "     %-19s : count     distribution", millis ? "msecs" : "usecs"));
        for (int i = 1; i <= last; i++) {
            long low = (1L << i) >> 1;
            long high = (1L << i) - 1;
            if (low == high) {
                low--;
            }
            out.println(String.format(Locale.ROOT, wide ? "%20d -> %-20d : %-8d |%-" + stars + "s|"
                    : "%10d -> %-10d : %-8d |%-" + stars + "s|", low, high, slots[i], "*".repeat(stars(slots[i], max, stars))));
        }
    }

    /** As bcc's _stars: width * val / max, rounded down, at most width. */
    static int stars(long val, long max, int width) {
        return max == 0 ? 0 : (int) Math.min(width, (long) Math.floor((double) width * val / max));
    }
}
