package dev.tcpconnlat.output;

import java.time.Instant;

/**
 * Writes an instant as {@link Instant#toString} does (ISO-8601 in UTC, the fraction in groups
 * of three digits, as many as it needs), into a byte array: the date and time of day are made
 * by {@code Instant} once per second, the fraction here, so that nothing is allocated per event.
 */
final class IsoInstant {
    private long second = Long.MIN_VALUE;
    private final byte[] prefix = new byte[32];
    private int prefixLength;

    /** Writes the instant {@code epochNs} into {@code out} (at least 32 bytes); returns its length. */
    int format(long epochNs, byte[] out) {
        long sec = Math.floorDiv(epochNs, 1_000_000_000L);
        int nano = (int) Math.floorMod(epochNs, 1_000_000_000L);
        if (sec != second) {
            String s = Instant.ofEpochSecond(sec).toString(); // no fraction; ends with 'Z'
            prefixLength = s.length() - 1;
            for (int i = 0; i < prefixLength; i++) {
                prefix[i] = (byte) s.charAt(i);
            }
            second = sec;
        }
        System.arraycopy(prefix, 0, out, 0, prefixLength);
        int n = prefixLength;
        if (nano != 0) {
            int digits = nano % 1_000_000 == 0 ? 3 : nano % 1000 == 0 ? 6 : 9;
            int v = nano;
            for (int i = digits; i < 9; i += 3) {
                v /= 1000;
            }
            out[n] = '.';
            for (int i = digits; i > 0; i--) {
                out[n + i] = (byte) ('0' + v % 10);
                v /= 10;
            }
            n += digits + 1;
        }
        out[n++] = 'Z';
        return n;
    }
}
