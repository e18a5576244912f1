package dev.tcpconnlat.exporter;

import dev.tcpconnlat.cgroup.CgroupNames;
import dev.tcpconnlat.event.Buckets;
import dev.tcpconnlat.event.HistogramKey;
import dev.tcpconnlat.event.LatencyHistogram;
import dev.tcpconnlat.event.Result;
import dev.tcpconnlat.trace.Loss;
import dev.tcpconnlat.trace.Peers;
import dev.tcpconnlat.trace.Label;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BinaryOperator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The exporter's metrics, read from the kernel's maps at scrape time (nothing per connect
 * reaches user space). The kernel keeps one histogram per key (cgroup, comm, daddr, dport as
 * --labels asks, family and result); keys that map to the same label values (two cgroups of
 * one unit) are added up. Counts are cumulative, as the kernel's are.
 * <p>
 * The maps never stay full: when a cgroup is removed, its keys are taken out of the kernel's
 * maps ({@link #cgroupGone}, {@link #maintain}) and their final counts kept here, added to any
 * live series with the same labels (which so never goes back), and served alone for the grace;
 * after it, a series with no live key is gone. When a map is nearly full, keys with no new
 * attempt for longer than the grace are taken out in the same way.
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
    /** How often {@link #maintain} works at most. */
    private static final long MAINTAIN_NS = 1_000_000_000L;
    /** Two histograms of keys with the same labels, as one. */
    private static final BinaryOperator<LatencyHistogram> ADD = (a, b) -> a.plus(b, a.key());
    /** A map this full has its idle keys taken out. */
    private static final double NEARLY_FULL = 0.9;

    private final Tracer tracer;
    private final List<Label> labels;
    private final double[] upperBounds;
    private final CgroupNames cgroups;
    private final long graceNs;
    private final String version;

    /** Final counts of keys taken out of the kernel's maps, by labels, and when they were last added to. */
    private final Map<Labels, LatencyHistogram> retiredHistograms = new HashMap<>();
    private final Map<Labels, Long> retiredAttempts = new HashMap<>();
    private final Map<Labels, Long> retiredAt = new HashMap<>();
    /** Cgroups removed whose keys are still to be taken out. */
    private final Set<Long> gone = new HashSet<>();
    /** Each attempts key's count when last read, and when it last changed: for the idle clean-up. */
    private final Map<HistogramKey, long[]> lastChange = new HashMap<>();
    private long lastMaintain = System.nanoTime();
    /** Connects dropped for a full map, when last checked. */
    private long lostBefore;
    private int histogramEntries;
    private int attemptEntries;
    private long removedWithCgroup;
    private long removedIdle;
    private long removedNamed;
    /** The kernel's count of connects keyed by an address not yet named (the peer label), when last checked. */
    private long unnamedBefore;
    /** Keys by address left at the last fold because their name was not known yet. */
    private int unsettled;
    private long expired;

    /**
     * {@code labels}: the --labels (result and family are always there); {@code cgroups}: the
     * names of the tracer's cgroups (null when no label needs them); {@code graceNs}: how long
     * the final counts of a removed key are served.
     */
    public ConnectMetrics(Tracer tracer, List<Label> labels, List<Double> buckets, CgroupNames cgroups, long graceNs,
            String version) {
        this.tracer = tracer;
        List<Label> all = new ArrayList<>(Label.ALWAYS);
        all.addAll(labels);
        this.labels = List.copyOf(all);
        this.upperBounds = new double[buckets.size() + 1];
        for (int i = 0; i < buckets.size(); i++) {
            upperBounds[i] = buckets.get(i);
        }
        upperBounds[buckets.size()] = Double.POSITIVE_INFINITY;
        this.cgroups = cgroups;
        this.graceNs = graceNs;
        this.version = version;
    }

    /** A scrape that came as the exporter stopped: answered 503. */
    public static final class Stopped extends RuntimeException {
        Stopped() {
            super("stopping", null, false, false);
        }
    }

    /** The kernel says a cgroup it had named is gone: its keys are taken out at the next {@link #maintain}. */
    public synchronized void cgroupGone(long cgroupId) {
        gone.add(cgroupId);
    }

    /**
     * Called from the engine's loop: takes the keys of removed cgroups out of the kernel's maps
     * (once a second, or at once when many are waiting: a burst of short-lived cgroups must not
     * fill the maps), folds keys made by address into their peer's (the same way), and, once a
     * second, when a map is nearly full, takes the idle ones out.
     */
    public synchronized void maintain() {
        long now = System.nanoTime();
        boolean second = now - lastMaintain >= MAINTAIN_NS;
        if (!gone.isEmpty() && (second || gone.size() >= tracer.seriesCapacity() / 8)) {
            Set<Long> ids = Set.copyOf(gone);
            gone.clear();
            removedWithCgroup += retire(tracer.remove(k -> ids.contains(k.cgroupId())), now);
            if (cgroups != null) {
                ids.forEach(cgroups::gone);
            }
        }
        long unnamed = labels.contains(Label.PEER) ? tracer.unnamedPeers() : 0;
        if (unnamed - unnamedBefore >= tracer.seriesCapacity() / 16
                || second && (unnamed > unnamedBefore || unsettled > 0)) {
            // keys made before the destination's name was known: folded into the name's series
            // once it is (those still waiting for theirs stay, and are not served, until then);
            // at once when many were made (a burst of new addresses must not fill the maps)
            unnamedBefore = unnamed;
            int[] waiting = {0};
            removedNamed += retire(tracer.remove(k -> {
                if (k.peerPending()) {
                    waiting[0]++;
                }
                return k.peerByAddress() && !k.peerPending();
            }), now);
            unsettled = waiting[0];
        }
        if (!second) {
            return;
        }
        lastMaintain = now;
        int capacity = tracer.seriesCapacity();
        long lost = tracer.lost(Loss.HIST) + tracer.lost(Loss.ATTEMPTS);
        if (Math.max(histogramEntries, attemptEntries) >= NEARLY_FULL * capacity || lost > lostBefore) {
            lostBefore = lost;
            Map<HistogramKey, Long> attempts = tracer.attempts();
            attemptEntries = attempts.size();
            observe(attempts, now);
            Set<HistogramKey> idle = new HashSet<>();
            lastChange.forEach((k, v) -> {
                if (now - v[1] > graceNs) {
                    idle.add(k);
                }
            });
            if (!idle.isEmpty()) {
                removedIdle += retire(tracer.remove(k -> idle.contains(k.withResult(Result.OK))), now);
            }
        }
    }

    /** Keeps the final counts of keys taken out of the kernel's maps; returns how many keys. */
    private int retire(Tracer.Removed removed, long now) {
        // the maps hold that many fewer now: the idle check must not see them as full until the next read
        histogramEntries = Math.max(0, histogramEntries - removed.histograms().size());
        attemptEntries = Math.max(0, attemptEntries - removed.attempts().size());
        for (LatencyHistogram h : removed.histograms()) {
            Labels l = labelsOf(h.key(), true);
            retiredHistograms.merge(l, h, ADD);
            retiredAt.put(l, now);
        }
        removed.attempts().forEach((k, n) -> {
            Labels l = labelsOf(k, false);
            retiredAttempts.merge(l, n, Long::sum);
            retiredAt.put(l, now);
            lastChange.remove(k);
        });
        return removed.histograms().size() + removed.attempts().size();
    }

    /** Notes which attempts keys grew since the last read, and forgets keys no longer in the map. */
    private void observe(Map<HistogramKey, Long> attempts, long now) {
        lastChange.keySet().retainAll(attempts.keySet());
        attempts.forEach((k, n) -> {
            long[] v = lastChange.get(k);
            if (v == null) {
                lastChange.put(k, new long[] {n, now});
            } else if (v[0] != n) {
                v[0] = n;
                v[1] = now;
            }
        });
    }

    /** Live series plus retired final counts with the same labels; retired series past the grace with no live key expire. */
    private <V> void addRetired(Map<Labels, V> live, Map<Labels, V> retired, BinaryOperator<V> plus,
            long now) {
        for (var it = retired.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Labels, V> r = it.next();
            if (live.containsKey(r.getKey())) {
                live.merge(r.getKey(), r.getValue(), plus);
            } else if (now - retiredAt.get(r.getKey()) > graceNs) {
                it.remove();
                retiredAt.remove(r.getKey());
                expired++;
            } else {
                live.put(r.getKey(), r.getValue());
            }
        }
    }

    /**
     * A key is served once its labels are final (a series must not move to another): its peer
     * named, its pod's and container's names found (or looked for long enough: --series.grace).
     * Until then its counts wait in the kernel's map.
     */
    private boolean servable(HistogramKey k) {
        return !k.peerPending() && (cgroups == null || !cgroups.waiting(k.cgroupId()));
    }

    @Override
    public synchronized MetricSnapshots collect() {
        long start = System.nanoTime();
        Map<Labels, LatencyHistogram> histograms = new LinkedHashMap<>();
        List<LatencyHistogram> live = tracer.histograms();
        histogramEntries = live.size();
        for (LatencyHistogram h : live) {
            if (servable(h.key())) {
                histograms.merge(labelsOf(h.key(), true), h, ADD);
            }
        }
        Map<HistogramKey, Long> liveAttempts = tracer.attempts();
        attemptEntries = liveAttempts.size();
        observe(liveAttempts, start);
        Map<Labels, Long> attempts = new LinkedHashMap<>();
        liveAttempts.forEach((key, n) -> {
            if (servable(key)) {
                attempts.merge(labelsOf(key, false), n, Long::sum);
            }
        });
        if (tracer.closed()) { // some map read after the stop found nothing: not an answer to give
            throw new Stopped();
        }
        addRetired(histograms, retiredHistograms, ADD, start);
        addRetired(attempts, retiredAttempts, Long::sum, start);

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
                counter("tcpconnlat_exporter_cgroups_unresolved", "Look-ups of a cgroup id that found no name",
                        cgroups == null ? 0 : cgroups.unresolved()),
                counter("tcpconnlat_exporter_kubernetes_names_missing", "Cgroups of Kubernetes pods served without "
                        + "their namespace, pod or container name: not in the kubelet's log directories (--kubelet.log-dir) "
                        + "within --series.grace, or before the cgroup was removed",
                        cgroups == null ? 0 : cgroups.kubernetesNamesMissing()),
                counter("tcpconnlat_exporter_cgroup_names_lost", "Cgroup names or removals the kernel could not "
                        + "send (its ring buffer was full; names are sent again at the cgroup's next connect)",
                        tracer.lost(Loss.CGROUPS)),
                CounterSnapshot.builder().name("tcpconnlat_exporter_series_removed")
                        .help("Keys taken out of the kernel's maps, their final counts kept for --series.grace: "
                                + "their cgroup was removed, they were idle while a map was nearly full, or they "
                                + "were keyed by an address before its DNS name was known (peer_named)")
                        .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                                .labels(Labels.of("reason", "cgroup_removed")).value(removedWithCgroup).build())
                        .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                                .labels(Labels.of("reason", "idle")).value(removedIdle).build())
                        .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                                .labels(Labels.of("reason", "peer_named")).value(removedNamed).build())
                        .build(),
                counter("tcpconnlat_exporter_series_expired", "Series no longer served: --series.grace passed "
                        + "since their keys were taken out of the kernel's maps, and no live key has their labels",
                        expired),
                GaugeSnapshot.builder().name("tcpconnlat_exporter_map_entries")
                        .help("Keys in the kernel's histogram and attempts maps")
                        .dataPoint(gauge("map", "hists", histogramEntries))
                        .dataPoint(gauge("map", "attempts", attemptEntries)).build(),
                GaugeSnapshot.builder().name("tcpconnlat_exporter_map_capacity")
                        .help("The most keys the kernel's histogram and attempts maps hold (--series.max)")
                        .dataPoint(gauge("map", "hists", tracer.seriesCapacity()))
                        .dataPoint(gauge("map", "attempts", tracer.seriesCapacity())).build(),
                InfoSnapshot.builder().name("tcpconnlat_exporter_build").help("The exporter's version")
                        .dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder().labels(Labels.of("version", version))
                                .build()).build()));
        all.addAll(programStats());
        Peers peers = tracer.config().peers();
        if (peers != null) {
            all.add(GaugeSnapshot.builder().name("tcpconnlat_exporter_peer_names")
                    .help("DNS names the peer label keeps apart (at most --peers.max)")
                    .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(peers.size()).build()).build());
            all.add(counter("tcpconnlat_exporter_peer_names_over_max", "DNS answers whose name found no room "
                    + "under --peers.max: their addresses count as peer=\"other\"", peers.overMax()));
            all.add(counter("tcpconnlat_exporter_dns_responses_unreadable", "DNS responses the peer label could "
                    + "not read: longer than the kernel copies, or malformed", peers.unreadable()));
            all.add(counter("tcpconnlat_exporter_dns_responses_lost", "DNS responses the kernel could not "
                    + "copy for the peer label: its ring buffer was full", tracer.lost(Loss.DNS)));
        }
        all.add(GaugeSnapshot.builder().name("tcpconnlat_exporter_scrape_duration_seconds")
                .help("How long reading the kernel's maps took for this scrape").unit(Unit.SECONDS)
                .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value((System.nanoTime() - start) / 1e9).build())
                .build());
        return new MetricSnapshots(all);
    }

    /** With kernel.bpf_stats_enabled=1, as ebpf_exporter: each program's run count and time. */
    private List<MetricSnapshot> programStats() {
        if (!bpfStatsEnabled()) {
            return List.of();
        }
        CounterSnapshot.Builder runs = CounterSnapshot.builder().name("tcpconnlat_exporter_bpf_program_runs")
                .help("Runs of each BPF program, while kernel.bpf_stats_enabled=1");
        CounterSnapshot.Builder time = CounterSnapshot.builder().name("tcpconnlat_exporter_bpf_program_run_seconds")
                .help("Time spent in each BPF program, while kernel.bpf_stats_enabled=1").unit(Unit.SECONDS);
        for (Tracer.ProgramStats p : tracer.programStats()) {
            Labels l = Labels.of("program", p.program());
            runs.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(l).value(p.runs()).build());
            time.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(l).value(p.runTimeNs() / 1e9).build());
        }
        return List.of(runs.build(), time.build());
    }

    private static boolean bpfStatsEnabled() {
        try {
            return java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/sys/kernel/bpf_stats_enabled"))
                    .get(0).trim().equals("1");
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    private static GaugeSnapshot.GaugeDataPointSnapshot gauge(String label, String value, double v) {
        return GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(Labels.of(label, value)).value(v).build();
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

    /** result (histograms only), family, then the --labels, in {@link Label}'s order. */
    Labels labelsOf(HistogramKey k, boolean withResult) {
        List<String> names = new ArrayList<>(labels.size());
        List<String> values = new ArrayList<>(labels.size());
        for (Label label : labels) {
            if (label == Label.RESULT && !withResult) {
                continue;
            }
            names.add(label.labelName());
            values.add(label.value(k, cgroups));
        }
        return Labels.of(names, values);
    }
}
