package dev.tcpconnlat.histogram;

import dev.tcpconnlat.cgroup.CgroupNames;
import dev.tcpconnlat.event.HistogramKey;
import dev.tcpconnlat.event.LatencyHistogram;
import dev.tcpconnlat.output.Output;
import dev.tcpconnlat.trace.Label;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * tcpconnlat -H's report: one bcc-style table per label value (--by), or one in all; with -e
 * one per result too. Each table is followed by a line with the count, estimates of p50, p90
 * and p99 (the middle of their bucket, within 9.5 %: three significant digits, marked ~) and
 * the exact maximum, which the kernel keeps:
 * <pre>
 * count 1042  p50 ~0.0611 ms  p90 ~0.0893 ms  p99 ~1020 ms  max 3014.66 ms
 * </pre>
 * With -i, an interval's maximum is exact when it was the longest connect so far; otherwise
 * it too is an estimate from the buckets, marked ~.
 * It is fed what happened since the last report: it keeps the previous read of every
 * histogram (at most as many as the kernel map holds) and prints the differences.
 */
public final class HistogramReport {
    private final Label by;
    private final boolean byResult;
    private final CgroupNames cgroups;
    private final Map<HistogramKey, LatencyHistogram> previous = new HashMap<>();

    /** {@code by} null: one table; {@code cgroups} is needed when {@code by} comes from the cgroup. */
    public HistogramReport(Label by, boolean byResult, CgroupNames cgroups) {
        this.by = by;
        this.byResult = byResult;
        this.cgroups = cgroups;
    }

    /** Prints what changed in {@code now} (every histogram, as read from the kernel) since the last call. */
    public void print(List<LatencyHistogram> now, Output out) throws IOException {
        Map<String, LatencyHistogram> tables = new TreeMap<>(Comparator.comparing(HistogramReport::sortKey));
        // a connect keyed by an address whose peer is not known yet is printed once it is (at the latest
        // when the tool stops): its key then gets its name, and a key must not move to another
        Map<HistogramKey, LatencyHistogram> read = new HashMap<>();
        for (LatencyHistogram h : now) {
            if (!h.key().peerPending()) {
                read.merge(h.key(), h, (a, b) -> a.plus(b, a.key()));
            }
        }
        for (LatencyHistogram h : read.values()) {
            LatencyHistogram delta = h.minus(previous.put(h.key(), h));
            if (delta.total() == 0) {
                continue;
            }
            tables.merge(label(h.key()), delta, (a, b) -> a.plus(b, a.key()));
        }
        if (tables.isEmpty()) {
            out.println("count 0");
            return;
        }
        for (Map.Entry<String, LatencyHistogram> t : tables.entrySet()) {
            if (!t.getKey().isEmpty()) {
                out.println("");
                out.println(t.getKey());
            }
            Log2Table.print(t.getValue(), out);
            out.println(summary(t.getValue()));
        }
    }

    /** The section line of a table: "dport = 443", "result = TIMEDOUT", both, or "" for the only table. */
    private String label(HistogramKey k) {
        List<String> parts = new ArrayList<>(2);
        if (by != null) {
            String value = by.value(k, cgroups);
            // "" quoted (no unit, as the exporter and JSON say it): the section line must show it
            parts.add(by.labelName() + " = " + (value.isEmpty() ? "\"\"" : value));
        }
        if (byResult) {
            parts.add("result = " + k.result().name());
        }
        return printable(String.join(", ", parts)); // a comm or a cgroup name may hold any character
    }

    /** Control characters as '?', as ps prints them (and the event table): one label, one line. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.chars().forEach(c -> b.append(Character.isISOControl(c) ? '?' : (char) c));
        return b.toString();
    }

    /** Numbers in labels sort as numbers (dport = 80 before dport = 443). */
    private static String sortKey(String label) {
        StringBuilder b = new StringBuilder();
        for (String part : label.split("(?<=\\D)(?=\\d)|(?<=\\d)(?=\\D)")) {
            b.append(part.chars().allMatch(Character::isDigit) ? String.format("%20s", part) : part);
        }
        return b.toString();
    }

    static String summary(LatencyHistogram h) {
        if (h.total() == 0) {
            return "count 0";
        }
        String max = h.maxNs() > 0 ? String.format(Locale.ROOT, "%.3f ms", h.maxNs() / 1e6)
                : estimate(h.maxEstimateNs(), 0);
        return String.format(Locale.ROOT, "count %d  p50 %s  p90 %s  p99 %s  max %s", h.total(),
                estimate(h.quantileNs(0.50), h.maxNs()), estimate(h.quantileNs(0.90), h.maxNs()),
                estimate(h.quantileNs(0.99), h.maxNs()), max);
    }

    /**
     * An estimate from a bucket (19 % wide): three significant digits, in ms, marked ~; rounded
     * down when rounding would print it above the exact maximum {@code maxNs} (0: unknown).
     */
    static String estimate(long ns, long maxNs) {
        BigDecimal ms = new BigDecimal(ns).movePointLeft(6);
        BigDecimal v = ms.round(new MathContext(3, RoundingMode.HALF_EVEN));
        if (maxNs > 0 && v.compareTo(new BigDecimal(maxNs).movePointLeft(6)) > 0) {
            v = ms.round(new MathContext(3, RoundingMode.DOWN));
        }
        return "~" + v.stripTrailingZeros().toPlainString() + " ms";
    }
}
