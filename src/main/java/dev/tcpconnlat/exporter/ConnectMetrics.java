package dev.tcpconnlat.exporter;

import dev.tcpconnlat.cgroup.CgroupLabels;
import dev.tcpconnlat.cgroup.CgroupPaths;
import dev.tcpconnlat.event.Buckets;
import dev.tcpconnlat.event.HistogramKey;
import dev.tcpconnlat.event.LatencyHistogram;
import dev.tcpconnlat.event.Result;
import dev.tcpconnlat.trace.Loss;
import dev.tcpconnlat.trace.TraceConfig;
import dev.tcpconnlat.trace.Tracer;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.NativeHistogramBuckets;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The exporter's metrics, read from the kernel's maps at scrape time (nothing per connect
 * reaches user space). The kernel keeps one histogram per key (cgroup, comm, daddr, dport as
 * --labels asks, family and result); keys that map to the same label values (two cgroups of
 * one unit) are added up. Counts are cumulative, as the kernel's are.
 */
public final class ConnectMetrics implements MultiCollector {
    static final String DURATION = "tcpconnlat_connect_duration_seconds";
    static final String ATTEMPTS = "tcpconnlat_connect_attempts";
    static final String RETRANSMITS = "tcpconnlat_connect_syn_retransmits";
    /** Prometheus native histogram schema of the kernel's buckets: 2^(1/4) growth. */
    static final int SCHEMA = 2;
    /** Default classic buckets, seconds: loopback and LAN (~0.1 ms) to SYN retransmits (1 s, 3 s, 7 s ...). */
    public static final List<Double> DEFAULT_BUCKETS = List.of(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
            0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0);

    private final Tracer tracer;
    private final List<Label> labels;
    private final double[] upperBounds;
    private final CgroupPaths cgroups;
    private final String version;

    public ConnectMetrics(Tracer tracer, List<Label> labels, List<Double> buckets, CgroupPaths cgroups, String version) {
        this.tracer = tracer;
        this.labels = List.copyOf(labels);
        this.upperBounds = new double[buckets.size() + 1];
        for (int i = 0; i < buckets.size(); i++) {
            upperBounds[i] = buckets.get(i);
        }
        upperBounds[buckets.size()] = Double.POSITIVE_INFINITY;
        this.cgroups = cgroups;
        this.version = version;
    }

    @Override
    public synchronized MetricSnapshots collect() {
        long start = System.nanoTime();
        Map<Labels, LatencyHistogram> histograms = new LinkedHashMap<>();
        for (LatencyHistogram h : tracer.histograms()) {
            histograms.merge(labelsOf(h.key(), true), h, (a, b) -> a.plus(b, a.key()));
        }
        Map<Labels, Long> attempts = new LinkedHashMap<>();
        tracer.attempts().forEach((key, n) -> attempts.merge(labelsOf(key, false), n, Long::sum));

        HistogramSnapshot.Builder duration = HistogramSnapshot.builder().name(DURATION).unit(Unit.SECONDS)
                .help("Time from a connect's SYN to its answer (SYN-ACK or RST), or to its failure");
        histograms.forEach((l, h) -> duration.dataPoint(dataPoint(l, h)));
        CounterSnapshot.Builder retransmitted = CounterSnapshot.builder().name(RETRANSMITS)
                .help("SYNs retransmitted before a connect's answer or failure (a lost SYN costs ~1 s)");
        histograms.forEach((l, h) -> retransmitted.dataPoint(
                CounterSnapshot.CounterDataPointSnapshot.builder().labels(l).value(h.synRetransmits()).build()));
        CounterSnapshot.Builder attempted = CounterSnapshot.builder().name(ATTEMPTS)
                .help("Connect attempts, counted as each connect starts (before its first SYN leaves)");
        attempts.forEach((l, n) -> attempted.dataPoint(
                CounterSnapshot.CounterDataPointSnapshot.builder().labels(l).value(n).build()));
        List<MetricSnapshot> all = new ArrayList<>(List.of(
                duration.build(), attempted.build(), retransmitted.build(),
                counter("tcpconnlat_exporter_series_dropped", "Connects or attempts not counted: "
                        + "the kernel's histogram or attempts map was full",
                        tracer.lost(Loss.HIST) + tracer.lost(Loss.ATTEMPTS)),
                counter("tcpconnlat_exporter_connects_untraced", "Connects not traced: too many connects "
                        + "were in flight at once (the kernel's map of them was full)", tracer.lost(Loss.STORAGE)),
                counter("tcpconnlat_exporter_cgroups_unresolved", "Look-ups of a cgroup id that found no cgroup path",
                        cgroups == null ? 0 : cgroups.unresolved()),
                InfoSnapshot.builder().name("tcpconnlat_exporter_build").help("The exporter's version")
                        .dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder().labels(Labels.of("version", version))
                                .build()).build()));
        all.add(GaugeSnapshot.builder().name("tcpconnlat_exporter_scrape_duration_seconds")
                .help("How long reading the kernel's maps took for this scrape").unit(Unit.SECONDS)
                .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value((System.nanoTime() - start) / 1e9).build())
                .build());
        return new MetricSnapshots(all);
    }

    private static CounterSnapshot counter(String name, String help, long value) {
        return CounterSnapshot.builder().name(name).help(help)
                .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(value).build()).build();
    }

    /** Classic buckets (each kernel bucket counted under the first le at or above its upper bound) and native ones. */
    HistogramSnapshot.HistogramDataPointSnapshot dataPoint(Labels l, LatencyHistogram h) {
        long[] classic = new long[upperBounds.length];
        List<Integer> nativeIndex = new ArrayList<>();
        List<Long> nativeCount = new ArrayList<>();
        int le = 0;
        for (int j = 0; j < Buckets.BUCKETS; j++) {
            long n = h.buckets()[j];
            double upper = h.scale().upperNs(j) / 1e9;
            while (le < upperBounds.length - 1 && upper > upperBounds[le] * (1 + 1e-9)) {
                le++;
            }
            if (n > 0) {
                classic[le] += n;
                nativeIndex.add(Buckets.nativeIndex(j));
                nativeCount.add(n);
            }
        }
        return HistogramSnapshot.HistogramDataPointSnapshot.builder().labels(l)
                .classicHistogramBuckets(ClassicHistogramBuckets.of(upperBounds, classic))
                .nativeSchema(SCHEMA)
                .nativeZeroCount(0)
                .nativeBucketsForPositiveValues(NativeHistogramBuckets.of(nativeIndex, nativeCount))
                .sum(h.sumNs() / 1e9)
                .build();
    }

    /** result (histograms only) and family, then the --labels, in {@link Label}'s order. */
    Labels labelsOf(HistogramKey k, boolean withResult) {
        List<String> names = new ArrayList<>(labels.size() + 2);
        List<String> values = new ArrayList<>(labels.size() + 2);
        if (withResult) {
            names.add("result");
            values.add(result(k.result()));
        }
        names.add("family");
        values.add(k.ipVersion() == 4 ? "ipv4" : "ipv6");
        CgroupPaths.Named cgroup = null;
        for (Label label : labels) {
            if (label.keyPart() == TraceConfig.By.CGROUP && cgroup == null) {
                cgroup = cgroups.named(k.cgroupId());
                if (cgroup == null) {
                    cgroup = new CgroupPaths.Named("", new CgroupLabels("", "", ""));
                }
            }
            names.add(label.labelName());
            values.add(switch (label) {
                case UNIT -> cgroup.labels().unit();
                case CGROUP -> cgroup.path();
                case CONTAINER_ID -> cgroup.labels().containerId();
                case POD_UID -> cgroup.labels().podUid();
                case COMM -> k.comm();
                case DADDR -> k.daddr();
                case DPORT -> Integer.toString(k.dport());
            });
        }
        return Labels.of(names, values);
    }

    /** ok, refused, timedout, unreach, aborted, error. */
    static String result(Result r) {
        return r.name().toLowerCase(Locale.ROOT);
    }
}
