package dev.tcpconnlat.trace;

import dev.tcpconnlat.cgroup.CgroupNames;
import dev.tcpconnlat.event.Buckets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What to trace and how; every filter runs in the kernel. Made with {@link #builder}:
 * <pre>
 * TraceConfig c = TraceConfig.builder(Mode.LATENCY).pid(181).minLatencyNs(1_000_000).build();
 * </pre>
 */
public final class TraceConfig {
    /**
     * What the kernel sends: answered connects with latency, attempts, only counts of attempts,
     * or only latency histograms (nothing per connect reaches user space in the last two).
     * In this order, the kernel's {@code enum mode}.
     */
    public enum Mode { LATENCY, ATTEMPTS, COUNT, HISTOGRAM }

    /** Default ring buffer size for events: no loss in back-to-back 80,000-connect storms on 2 cores (bench/run). */
    public static final int DEFAULT_RING_BYTES = 16 << 20;
    /** Default ring buffer size when only cgroup names use it (histograms): ~14,000 new cgroups one level down at once. */
    public static final int NAMES_RING_BYTES = 2 << 20;
    /** Default ring buffer size when DNS responses use it too (the peer label): ~2,000 responses of 4 KiB. */
    public static final int PEERS_RING_BYTES = 8 << 20;
    public static final int MIN_RING_BYTES = 4096;
    public static final int MAX_RING_BYTES = 1 << 30;
    public static final int DEFAULT_SERIES_MAX = 10_240;
    /** A histogram is 1 KiB: a million keys is a GiB of kernel memory at most. */
    public static final int MAX_SERIES_MAX = 1_000_000;
    public static final long DEFAULT_WAKEUP_BYTES = 64 * 1024;

    private final Mode mode;
    private final int pid;
    private final long uid;
    private final int family;
    private final long minLatencyNs;
    private final boolean reportFailures;
    private final List<Integer> dports;
    private final String cgroupMap;
    private final String mountNsMap;
    private final boolean countByLport;
    private final boolean dns;
    private final long wakeupBytes;
    private final int ringBytes;
    private final Set<Label> labels;
    private final int seriesMax;
    private final boolean verbose;
    private final Cidrs cidrs;
    private final Peers peers;
    private final CgroupNames cgroupNames;
    private final boolean histogramAttempts;
    private final Buckets buckets;

    private TraceConfig(Builder b) {
        mode = b.mode;
        pid = b.pid;
        uid = b.uid;
        family = b.family;
        minLatencyNs = b.minLatencyNs;
        reportFailures = b.reportFailures;
        dports = List.copyOf(b.dports);
        cgroupMap = b.cgroupMap;
        mountNsMap = b.mountNsMap;
        countByLport = b.countByLport;
        dns = b.dns;
        wakeupBytes = b.wakeupBytes;
        labels = b.labels.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(b.labels));
        peers = !labels.contains(Label.PEER) ? null : b.peers != null ? b.peers : new Peers(Peers.DEFAULT_MAX);
        ringBytes = b.ringBytes != 0 ? b.ringBytes
                : mode == Mode.LATENCY || mode == Mode.ATTEMPTS ? DEFAULT_RING_BYTES
                : peers != null ? PEERS_RING_BYTES : NAMES_RING_BYTES;
        cgroupNames = b.cgroupNames;
        seriesMax = b.seriesMax;
        verbose = b.verbose;
        cidrs = b.cidrs;
        histogramAttempts = b.histogramAttempts;
        buckets = b.buckets;
    }

    public static Builder builder(Mode mode) {
        return new Builder(mode);
    }

    public Mode mode() { return mode; }

    /** Process (tgid) to trace, 0 for all. */
    public int pid() { return pid; }

    /** User to trace, -1 for all. */
    public long uid() { return uid; }

    /** AF_INET, AF_INET6, or 0 for both. */
    public int family() { return family; }

    /** Latency mode: hide connects answered faster. */
    public long minLatencyNs() { return minLatencyNs; }

    /** Latency and histogram modes: also connects that got no answer (timed out, unreachable, aborted). */
    public boolean reportFailures() { return reportFailures; }

    /** Destination ports to trace; empty for all. */
    public List<Integer> dports() { return dports; }

    /** Path of a pinned hash map of cgroup v2 ids to trace, or null. */
    public String cgroupMap() { return cgroupMap; }

    /** Path of a pinned hash map of mount namespace inodes to trace, or null. */
    public String mountNsMap() { return mountNsMap; }

    /** Count mode: the source port is part of the key. */
    public boolean countByLport() { return countByLport; }

    /** Also send DNS responses (UDP from port 53) to user space, for -d. */
    public boolean dns() { return dns; }

    /** Whether DNS responses are captured: for -d, or to name peers. */
    public boolean capturesDns() { return dns || peers != null; }

    /** Wake the consumer only once this much is unread (it drains on a timer anyway). */
    public long wakeupBytes() { return wakeupBytes; }

    /** Size of the ring buffer of events, in bytes. */
    public int ringBytes() { return ringBytes; }

    /** Histogram mode: the labels histograms are kept by (the result always is). */
    public Set<Label> labels() { return labels; }

    /** enum hist_by: the parts of the kernel's histogram key the labels need. */
    int histogramKeyBits() {
        int bits = 0;
        for (Label l : labels) {
            bits |= l.keyBits();
        }
        return bits;
    }

    /** Histogram mode: destination groups that the daddr label is keyed by, or null (addresses). */
    public Cidrs cidrs() { return cidrs; }

    /** Histogram mode with the peer label: its names (default {@link Peers#DEFAULT_MAX} of them); else null. */
    public Peers peers() { return peers; }

    /** libbpf's whole log on stderr (-v). */
    public boolean verbose() { return verbose; }

    /** Histogram mode: the most keys each of the histogram and attempts maps holds. */
    public int seriesMax() { return seriesMax; }

    /** Where the kernel's cgroup names go (they are sent when this is set), or null. */
    public CgroupNames cgroupNames() { return cgroupNames; }

    /** Histogram mode: also count connect attempts under each histogram's labels (the exporter). */
    public boolean histogramAttempts() { return histogramAttempts; }

    /** Histogram mode: the buckets the kernel sorts latencies into. */
    public Buckets buckets() { return buckets; }

    /** Whether the sockops program runs: tcpconnect reports or counts attempts once the source port is known. */
    public boolean usesSockops() {
        return mode == Mode.ATTEMPTS || mode == Mode.COUNT;
    }

    /** Whether records reach user space through the ring buffer (not in count and histogram modes, unless DNS or cgroup names). */
    public boolean usesRing() {
        return mode == Mode.LATENCY || mode == Mode.ATTEMPTS || capturesDns() || cgroupNames != null;
    }

    /** Whether programs are attached to the cgroup v2 root (which needs CAP_NET_ADMIN). */
    public boolean usesCgroupPrograms() {
        return usesSockops() || capturesDns();
    }

    public static final class Builder {
        private final Mode mode;
        private int pid;
        private long uid = -1;
        private int family;
        private long minLatencyNs;
        private boolean reportFailures;
        private final List<Integer> dports = new ArrayList<>();
        private String cgroupMap;
        private String mountNsMap;
        private boolean countByLport;
        private boolean dns;
        private long wakeupBytes = DEFAULT_WAKEUP_BYTES;
        private int ringBytes;
        private final Set<Label> labels = EnumSet.noneOf(Label.class);
        private CgroupNames cgroupNames;
        private int seriesMax = DEFAULT_SERIES_MAX;
        private boolean verbose;
        private Cidrs cidrs;
        private Peers peers;
        private boolean histogramAttempts;
        private Buckets buckets = Buckets.seconds();

        private Builder(Mode mode) {
            this.mode = mode;
        }

        public Builder pid(int pid) { this.pid = pid; return this; }

        public Builder uid(long uid) { this.uid = uid; return this; }

        public Builder family(int family) { this.family = family; return this; }

        public Builder minLatencyNs(long ns) { this.minLatencyNs = ns; return this; }

        public Builder reportFailures(boolean on) { this.reportFailures = on; return this; }

        public Builder dports(List<Integer> ports) { dports.addAll(ports); return this; }

        public Builder cgroupMap(String path) { this.cgroupMap = path; return this; }

        public Builder mountNsMap(String path) { this.mountNsMap = path; return this; }

        public Builder countByLport(boolean on) { this.countByLport = on; return this; }

        public Builder dns(boolean on) { this.dns = on; return this; }

        public Builder verbose(boolean on) { this.verbose = on; return this; }

        /** Histogram mode: key the daddr label by these groups (--cidrs). */
        public Builder cidrs(Cidrs c) { this.cidrs = c; return this; }

        /** Histogram mode with the peer label: keep names here (default: {@link Peers#DEFAULT_MAX} at most). */
        public Builder peers(Peers p) { this.peers = p; return this; }

        /** A power of two from {@link #MIN_RING_BYTES} to {@link #MAX_RING_BYTES} (default: by mode). */
        public Builder ringBytes(int bytes) {
            if (bytes != 0 && (Integer.bitCount(bytes) != 1 || bytes < MIN_RING_BYTES || bytes > MAX_RING_BYTES)) {
                throw new IllegalArgumentException("ring buffer size must be a power of two from 4K to 1G, not " + bytes);
            }
            this.ringBytes = bytes;
            return this;
        }

        /** Histogram mode: keep histograms by these labels. */
        public Builder labels(Collection<Label> l) { labels.addAll(l); return this; }

        /** Histogram mode: the most keys of each map (default {@link #DEFAULT_SERIES_MAX}). */
        public Builder seriesMax(int n) {
            if (n < 1 || n > MAX_SERIES_MAX) {
                throw new IllegalArgumentException("the maps' size must be from 1 to " + MAX_SERIES_MAX + ", not " + n);
            }
            this.seriesMax = n;
            return this;
        }

        /** Send each cgroup's names (and removal) to {@code names}: for cgroup labels and JSON. */
        public Builder cgroupNames(CgroupNames names) { this.cgroupNames = names; return this; }

        public Builder histogramAttempts(boolean on) { this.histogramAttempts = on; return this; }

        /** Histogram mode: the buckets (default {@link Buckets#seconds()}, the exporter's). */
        public Builder buckets(Buckets b) { this.buckets = b; return this; }

        public TraceConfig build() {
            return new TraceConfig(this);
        }
    }
}
