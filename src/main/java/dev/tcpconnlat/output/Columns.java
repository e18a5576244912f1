package dev.tcpconnlat.output;

/**
 * Appends values the way Python's %-formatting does, so lines match bcc byte for byte:
 * {@code %-Ns}, {@code %-N.Ms}, {@code %-Nd} and {@code %.Df} of a scaled integer.
 */
final class Columns {
    private static final long[] POW10 = new long[19];

    static {
        POW10[0] = 1;
        for (int i = 1; i < POW10.length; i++) {
            POW10[i] = POW10[i - 1] * 10;
        }
    }

    private Columns() {}

    /** {@code %-Ns}: left-aligned, padded to {@code width}, never cut. */
    static void left(Line out, CharSequence s, int width) {
        int start = out.length();
        out.append(s);
        out.pad(width - (out.length() - start));
    }

    /** {@code %-Nd} */
    static void left(Line out, long v, int width) {
        int start = out.length();
        out.append(v);
        out.pad(width - (out.length() - start));
    }

    /**
     * {@code %-W.Df} of {@code float(n) / 10**scale}, as Python prints it: the double is
     * rounded exactly (half-even on true ties), which Java's Formatter does not do.
     * Needs {@code 0 <= n < 2**53} and {@code decimals <= scale}.
     */
    static void scaled(Line out, long n, int scale, int decimals, int width) {
        long unit = POW10[scale - decimals];
        long q = n / unit;
        long r = n % unit;
        if (2 * r > unit) {
            q++;
        } else if (2 * r == unit) {
            // The decimal value sits on a tie: the binary double decides which way it falls.
            double v = (double) n / POW10[scale];
            double above = Math.fma(v, (double) POW10[scale], -(double) n);
            if (above > 0 || (above == 0 && (q & 1) == 1)) {
                q++;
            }
        }
        int start = out.length();
        long whole = q / POW10[decimals];
        out.append(whole);
        if (decimals > 0) {
            out.append('.');
            long frac = q % POW10[decimals];
            for (int d = decimals - 1; d >= 0; d--) {
                out.append((char) ('0' + (frac / POW10[d]) % 10));
            }
        }
        out.pad(width - (out.length() - start));
    }
}
