package dev.tcpconnlat.trace;

import dev.tcpconnlat.bpf.BpfException;
import dev.tcpconnlat.bpf.BpfMap;
import dev.tcpconnlat.bpf.BpfObject;
import dev.tcpconnlat.bpf.LibBpfLog;
import dev.tcpconnlat.bpf.LibC;
import dev.tcpconnlat.bpf.PinnedMap;
import dev.tcpconnlat.bpf.RingBuffer;
import dev.tcpconnlat.event.ConnectCount;
import dev.tcpconnlat.decode.CountKeyLayout;
import dev.tcpconnlat.decode.EventLayout;
import dev.tcpconnlat.decode.HistKeyLayout;
import dev.tcpconnlat.decode.HistLayout;
import dev.tcpconnlat.decode.RecordView;
import dev.tcpconnlat.event.EventView;
import dev.tcpconnlat.event.HistogramKey;
import dev.tcpconnlat.event.LatencyHistogram;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * The kernel side, loaded and attached: src/main/bpf/tcpconn.bpf.c configured by a
 * {@link TraceConfig}, and the loop that reads it. Closing it detaches every program and frees
 * every map. Maps are looked up once, at start; reading them allocates nothing that outlives
 * the call. The map readers may be called from any thread (the exporter's scrapes).
 */
public final class Tracer implements AutoCloseable {
    private static final String OBJECT = "/bpf/tcpconn.bpf.o";
    /** How long user space may sleep before draining events that did not wake it. */
    public static final int DRAIN_INTERVAL_MS = 100;

    /** Told of something the kernel gave up on since the last call: {@code newly} more, {@code total} in all. */
    @FunctionalInterface
    public interface LossListener {
        void onLoss(Loss loss, long newly, long total);
    }

    /** Receives what the kernel sends, on the thread that called {@link #stream}. */
    public interface Listener extends LossListener {
        /** A connect (answered, failed, or an attempt); the view is valid only during the call. */
        void onConnect(EventView event) throws IOException;

        /** -d: a DNS response's UDP payload (valid only during the call), cut short when {@code wireLength} is more. */
        default void onDnsResponse(ByteBuffer payload, int wireLength, long timestampNs) {}

        /** A cgroup the kernel had named was removed (only when the config has cgroup names). */
        default void onCgroupGone(long cgroupId) {}

        /** After each batch of records, and at least every {@link #DRAIN_INTERVAL_MS}: the time to flush output. */
        default void onBatchEnd() throws IOException {}

        @Override
        default void onLoss(Loss loss, long newly, long total) {}

        /**
         * For the modes where no event reaches user space: {@code tick} after each wake-up,
         * {@code gone} told of each cgroup removed, losses to {@code losses}.
         */
        static Listener withoutEvents(Runnable tick, LongConsumer gone, LossListener losses) {
            return new Listener() {
                @Override
                public void onConnect(EventView event) {}

                @Override
                public void onCgroupGone(long cgroupId) {
                    gone.accept(cgroupId);
                }

                @Override
                public void onBatchEnd() {
                    tick.run();
                }

                @Override
                public void onLoss(Loss loss, long newly, long total) {
                    losses.onLoss(loss, newly, total);
                }
            };
        }
    }

    private static final Loss[] LOSSES = Loss.values(); // values() copies the array at every call
    /** Scratch keys for iterating maps: room for the largest key (a hist_key; a count_key is smaller). */
    private static final long KEY_SCRATCH = Math.max(HistKeyLayout.LAYOUT.byteSize(), CountKeyLayout.LAYOUT.byteSize());

    private final BpfObject object;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final TraceConfig config;
    private final KernelVariant variant = KernelVariant.probe();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment counterKey = arena.allocate(ValueLayout.JAVA_INT);
    private final MemorySegment counterValue = arena.allocate(ValueLayout.JAVA_LONG);
    private final MemorySegment key = arena.allocate(KEY_SCRATCH, 8);
    private final MemorySegment nextKey = arena.allocate(KEY_SCRATCH, 8);
    private final MemorySegment histValue = arena.allocate(HistLayout.LAYOUT);
    private final long[] reported = new long[LOSSES.length];
    private BpfMap counters;
    private BpfMap events;
    private BpfMap counts;
    private BpfMap hists;
    private BpfMap attempts;
    /** The peer label's names, or null. */
    private PeerNaming peerNaming;
    private boolean closed;

    private Tracer(BpfObject object, TraceConfig config) {
        this.object = object;
        this.config = config;
    }

    /** What this tracer was started with. */
    public TraceConfig config() {
        return config;
    }

    /** libbpf loaded and its log callback installed (which also makes every libbpf call's FFM stub, ~60 ms). */
    private static FutureTask<Void> libbpf;

    /**
     * Starts loading libbpf on another thread, so that it overlaps the caller's own start-up
     * (the tools parse their command line meanwhile); {@link #start} waits for it. Optional.
     */
    public static synchronized void prepare() {
        if (libbpf == null) {
            libbpf = new FutureTask<>(LibBpfLog::install, null);
            Thread.ofPlatform().daemon().name("libbpf-init").start(libbpf);
        }
    }

    /** Waits for {@link #prepare}, rethrowing what it threw (libbpf.so.1 missing). */
    private static void awaitLibbpf() {
        prepare();
        try {
            libbpf.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Loads libbpf (with its log: warnings kept for errors, everything on stderr when the config
     * is verbose), then opens, configures, loads and attaches; on any failure everything done so
     * far is undone.
     */
    public static Tracer start(TraceConfig config) {
        awaitLibbpf();
        LibBpfLog.setVerbose(config.verbose());
        Tracer t = new Tracer(BpfObject.open(readObject(), "tcpconn"), config);
        try {
            t.load();
            t.attach();
            return t;
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
    }


    private void load() {
        ConfigLayout.write(config, object.map(".rodata").initialValue());
        if (config.cgroupMap() != null) {
            object.map("cgroup_map").reuse(openFilterMap(config.cgroupMap(), "--cgroupmap", "cgroup id"));
        }
        if (config.mountNsMap() != null) {
            object.map("mount_ns_set").reuse(openFilterMap(config.mountNsMap(), "--mntnsmap", "mount namespace id"));
        }
        events = object.map("events");
        counters = object.map("counters");
        counts = object.map("counts");
        hists = object.map("hists");
        attempts = object.map("attempts");
        hists.setMaxEntries(config.seriesMax());
        attempts.setMaxEntries(config.seriesMax());
        // a ring nobody reads (count and histogram modes) needs no memory
        events.setMaxEntries(config.usesRing() ? config.ringBytes() : TraceConfig.MIN_RING_BYTES);
        if (config.peers() == null) { // an LRU map is preallocated: ~1.3 MB of kernel memory for nothing
            object.map("peers").setMaxEntries(1);
        }
        for (String program : KernelVariant.ALTERNATIVES) {
            object.program(program).setAutoload(program.equals(variant.setState()));
        }
        object.program("handle_cgroup_rmdir").setAutoload(config.cgroupNames() != null);
        List<String> cgroupPrograms = cgroupPrograms();
        for (String program : CGROUP_PROGRAMS) {
            object.program(program).setAutoload(cgroupPrograms.contains(program));
        }
        try {
            object.load();
        } catch (BpfException e) {
            String libbpf = LibBpfLog.lastWarning();
            throw new BpfException(e.getMessage() + (libbpf.isEmpty() ? "" : " (" + libbpf + ")"));
        }
        BpfMap dports = object.map("dports");
        if (config.peers() != null) {
            peerNaming = new PeerNaming(config.peers(), object.map("peers"), arena);
        }
        if (config.cidrs() != null) {
            BpfMap cidrs = object.map("cidrs");
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment key = arena.allocate(Cidrs.KEY_LAYOUT);
                MemorySegment group = arena.allocate(ValueLayout.JAVA_INT);
                for (Cidrs.Prefix p : config.cidrs().prefixes()) {
                    key.set(ValueLayout.JAVA_INT, 0, p.bits());
                    MemorySegment.copy(p.address(), 0, key, ValueLayout.JAVA_BYTE, 4, 16);
                    group.set(ValueLayout.JAVA_INT, 0, p.group());
                    cidrs.update(key, group, BpfMap.BPF_ANY);
                }
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(ValueLayout.JAVA_SHORT);
            MemorySegment one = arena.allocateFrom(ValueLayout.JAVA_BYTE, (byte) 1);
            for (int port : config.dports()) {
                key.set(ValueLayout.JAVA_SHORT, 0, (short) port);
                dports.update(key, one, BpfMap.BPF_ANY);
            }
        }
    }

    /** bcc's special filtering: a pinned hash map keyed by a u64. */
    private PinnedMap openFilterMap(String path, String option, String keyName) {
        PinnedMap map;
        try {
            map = PinnedMap.open(path);
        } catch (BpfException e) {
            throw new BpfException(option + " " + e.getMessage());
        }
        resources.add(map);
        if (map.type() != PinnedMap.BPF_MAP_TYPE_HASH && map.type() != PinnedMap.BPF_MAP_TYPE_LRU_HASH) {
            throw new BpfException(option + " " + path + ": not a hash map (map type " + map.type() + ")");
        }
        if (map.keySize() != 8) {
            throw new BpfException(option + " " + path + ": key size is " + map.keySize()
                    + " bytes, expected 8 (a u64 " + keyName + ")");
        }
        return map;
    }

    private void attach() {
        resources.add(object.program(variant.setState()).attach());
        if (config.cgroupNames() != null) {
            resources.add(object.program("handle_cgroup_rmdir").attach());
        }
        List<String> cgroupPrograms = cgroupPrograms();
        if (cgroupPrograms.isEmpty()) {
            return;
        }
        // On the cgroup v2 root, so every process's sockets are seen.
        String root = CgroupV2.root().toString();
        int fd = LibC.openDirectory(root);
        try {
            for (String program : cgroupPrograms) {
                resources.add(object.program(program).attachCgroup(fd, root));
            }
        } finally {
            LibC.close(fd);
        }
    }

    /**
     * The loop of every mode: reads records until {@code stop} says so, handing each to
     * {@code listener} by its kind (cgroup names go to the config's {@link dev.tcpconnlat.cgroup.CgroupNames}),
     * and reports losses as they grow (checked at most every {@link #DRAIN_INTERVAL_MS}); drains
     * what is left, and reports, before returning. In modes where nothing reaches user space, it
     * wakes every {@link #DRAIN_INTERVAL_MS} for the listener's {@link Listener#onBatchEnd}.
     */
    public void stream(Listener listener, BooleanSupplier stop) throws Exception {
        RecordView view = new RecordView();
        RingBuffer ring = new RingBuffer(events, (data, at, length) -> {
            switch (EventLayout.kind(data, at)) {
                case EventLayout.DNS_RESPONSE -> {
                    ByteBuffer payload = data.asSlice(at + EventLayout.DNS_PAYLOAD,
                            EventLayout.u16(data, at + EventLayout.DNS_LEN)).asByteBuffer();
                    int wireLength = EventLayout.u16(data, at + EventLayout.DNS_WIRE_LEN);
                    if (peerNaming != null) {
                        peerNaming.learn(payload.duplicate(), wireLength);
                    }
                    listener.onDnsResponse(payload, wireLength, EventLayout.u64(data, at + EventLayout.DNS_TS_NS));
                }
                case EventLayout.CGROUP_NAMES -> config.cgroupNames().learn(
                        EventLayout.u64(data, at + EventLayout.CGROUP_ID_OF_RECORD), EventLayout.cgroupPath(data, at));
                case EventLayout.CGROUP_GONE -> listener.onCgroupGone(
                        EventLayout.u64(data, at + EventLayout.CGROUP_ID_OF_RECORD));
                default -> listener.onConnect(view.wrap(data, at));
            }
        });
        resources.add(ring);
        // Reading the loss counters costs a system call each: at most once per drain interval.
        long interval = DRAIN_INTERVAL_MS * 1_000_000L;
        long reportedAt = System.nanoTime() - interval;
        while (!stop.getAsBoolean()) {
            long from = System.nanoTime();
            ring.poll(DRAIN_INTERVAL_MS);
            if (peerNaming != null) {
                peerNaming.drained(from);
            }
            listener.onBatchEnd();
            if (System.nanoTime() - reportedAt >= interval) {
                reportLosses(listener);
                reportedAt = System.nanoTime();
            }
        }
        ring.consume();
        if (peerNaming != null) {
            peerNaming.settled();
        }
        listener.onBatchEnd();
        reportLosses(listener);
    }

    /** Tells {@code listener} of every loss counter that grew since the last report. */
    public synchronized void reportLosses(LossListener listener) {
        for (Loss loss : LOSSES) {
            long total = lost(loss);
            if (total > reported[loss.ordinal()]) {
                listener.onLoss(loss, total - reported[loss.ordinal()], total);
                reported[loss.ordinal()] = total;
            }
        }
    }

    /** Whether {@link #close} was called: map readers then find nothing. */
    public synchronized boolean closed() {
        return closed;
    }

    /** How many times the kernel side gave up in this way, in all (0 once closed). */
    public synchronized long lost(Loss loss) {
        return counter(loss.ordinal());
    }

    /** Count mode: the in-kernel table, most connects first. */
    public synchronized List<ConnectCount> counts() {
        List<ConnectCount> rows = new ArrayList<>();
        if (closed) {
            return rows;
        }
        forEachEntry(counts, counterValue, (k, v) -> rows.add(CountKeyLayout.decode(k, v.get(ValueLayout.JAVA_LONG, 0))));
        rows.sort(Comparator.comparingLong(ConnectCount::count).reversed());
        return rows;
    }

    /**
     * Histogram mode: every histogram in the kernel now. Their counts only grow; take the
     * difference of two reads for what happened in between. Reading does not stop the kernel
     * side from adding to them.
     */
    public synchronized List<LatencyHistogram> histograms() {
        List<LatencyHistogram> all = new ArrayList<>();
        if (closed) {
            return all;
        }
        forEachEntry(hists, histValue, (k, v) -> all.add(HistLayout.decode(key(k), config.buckets(), v)));
        return all;
    }

    /** Histogram mode with attempts: the connect attempts per key (result OK), counted since start. */
    public synchronized Map<HistogramKey, Long> attempts() {
        Map<HistogramKey, Long> all = new HashMap<>();
        if (closed) {
            return all;
        }
        forEachEntry(attempts, counterValue, (k, v) -> all.put(key(k), v.get(ValueLayout.JAVA_LONG, 0)));
        return all;
    }

    /** Histograms and attempts taken out of the kernel's maps by {@link #remove}: their final counts. */
    public record Removed(List<LatencyHistogram> histograms, Map<HistogramKey, Long> attempts) {}

    /**
     * Histogram mode: takes every histogram and attempt count whose key {@code which} selects out
     * of the kernel's maps (each read and deleted at once), so that the maps never stay full.
     */
    public synchronized Removed remove(Predicate<HistogramKey> which) {
        List<LatencyHistogram> hs = new ArrayList<>();
        Map<HistogramKey, Long> as = new HashMap<>();
        if (closed) {
            return new Removed(hs, as);
        }
        for (Selected k : keys(hists, which)) {
            key.copyFrom(MemorySegment.ofArray(k.raw()));
            if (hists.lookupAndDelete(key, histValue)) {
                hs.add(HistLayout.decode(k.key(), config.buckets(), histValue));
            }
        }
        for (Selected k : keys(attempts, which)) {
            key.copyFrom(MemorySegment.ofArray(k.raw()));
            if (attempts.lookupAndDelete(key, counterValue)) {
                as.put(k.key(), counterValue.get(ValueLayout.JAVA_LONG, 0));
            }
        }
        return new Removed(hs, as);
    }

    /** A key {@link #remove} selected: its bytes, to delete it by, and what they decode to. */
    private record Selected(byte[] raw, HistogramKey key) {}

    /** The keys of {@code map} that {@code which} selects, copied (deleting while iterating would restart it). */
    private List<Selected> keys(BpfMap map, Predicate<HistogramKey> which) {
        List<Selected> selected = new ArrayList<>();
        long size = HistKeyLayout.LAYOUT.byteSize();
        forEachKey(map, k -> {
            HistogramKey decoded = key(k);
            if (which.test(decoded)) {
                selected.add(new Selected(k.asSlice(0, size).toArray(ValueLayout.JAVA_BYTE), decoded));
            }
        });
        return selected;
    }

    /** The programs attached to the cgroup v2 root, each loaded only when its run needs it. */
    private static final List<String> CGROUP_PROGRAMS = List.of("handle_sockops", "handle_dns_ingress", KernelVariant.SO_ERROR);

    private List<String> cgroupPrograms() {
        List<String> programs = new ArrayList<>();
        if (config.usesSockops()) {
            programs.add("handle_sockops");
        }
        if (config.capturesDns()) {
            programs.add("handle_dns_ingress");
        }
        if (readsSoError()) {
            programs.add(KernelVariant.SO_ERROR);
        }
        return programs;
    }

    /**
     * Whether the run reads the errors applications take with getsockopt(SO_ERROR) (a
     * non-blocking connect refused by ICMP): wherever failures are reported, if the kernel lets
     * this process load the hook (CAP_NET_ADMIN). False where the run wanted it and could not.
     */
    public boolean readsSoError() {
        return config.reportFailures() && variant.soError();
    }

    /** Histogram mode: how many keys each of the histogram and attempts maps holds at most. */
    public int seriesCapacity() {
        return config.seriesMax();
    }

    /** The kernel's accounting of one loaded program (with kernel.bpf_stats_enabled=1; else 0). */
    public record ProgramStats(String program, long runs, long runTimeNs) {}

    /** Run count and time of each program loaded, from /proc/self/fdinfo (empty once closed). */
    public synchronized List<ProgramStats> programStats() {
        List<ProgramStats> all = new ArrayList<>();
        if (closed) {
            return all;
        }
        List<String> programs = new ArrayList<>(List.of(variant.setState(), "handle_cgroup_rmdir"));
        programs.addAll(CGROUP_PROGRAMS);
        for (String name : programs) {
            int fd = object.program(name).fd();
            if (fd < 0) {
                continue; // not loaded in this mode
            }
            long runs = 0;
            long ns = 0;
            try {
                for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/fdinfo/" + fd))) {
                    if (line.startsWith("run_cnt:")) {
                        runs = Long.parseLong(line.substring(8).trim());
                    } else if (line.startsWith("run_time_ns:")) {
                        ns = Long.parseLong(line.substring(12).trim());
                    }
                }
            } catch (IOException | NumberFormatException e) {
                continue;
            }
            all.add(new ProgramStats(name, runs, ns));
        }
        return all;
    }

    /** A histogram or attempts key read from the kernel: daddr as its group's name with --cidrs, the peer named. */
    private HistogramKey key(MemorySegment k) {
        return HistKeyLayout.decode(k, config.histogramKeyBits(), config.cidrs() == null ? null : config.cidrs()::name,
                peerNaming == null ? null : peerNaming::name);
    }

    /**
     * Connects the kernel keyed by the destination address, not yet named (the peer label):
     * while this grows, keys with {@link HistogramKey#peerByAddress} are being made.
     */
    public synchronized long unnamedPeers() {
        return counter(LOSSES.length); // enum counter: COUNT_PEER_UNNAMED, after the losses
    }

    /** The kernel's counters map at {@code index} (enum loss, then enum counter); 0 once closed. */
    private long counter(int index) {
        if (closed) {
            return 0;
        }
        counterKey.set(ValueLayout.JAVA_INT, 0, index);
        return counters.lookup(counterKey, counterValue) ? counterValue.get(ValueLayout.JAVA_LONG, 0) : 0;
    }

    /** Hands every entry of {@code map} to {@code each}, in the scratch key and {@code value} (valid during the call). */
    private void forEachEntry(BpfMap map, MemorySegment value, BiConsumer<MemorySegment, MemorySegment> each) {
        forEachKey(map, k -> {
            if (map.lookup(k, value)) {
                each.accept(k, value);
            }
        });
    }

    /** Hands every key of {@code map} to {@code each}, in the scratch key (valid during the call). */
    private void forEachKey(BpfMap map, Consumer<MemorySegment> each) {
        MemorySegment prev = MemorySegment.NULL;
        while (map.nextKey(prev, nextKey)) {
            key.copyFrom(nextKey);
            prev = key;
            each.accept(key);
        }
    }

    private static byte[] readObject() {
        try (InputStream in = Tracer.class.getResourceAsStream(OBJECT)) {
            if (in == null) {
                throw new BpfException("the BPF object " + OBJECT + " is missing from the build");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new BpfException("cannot read " + OBJECT + ": " + e.getMessage());
        }
    }

    /**
     * Detaches and frees everything; waits for a map read in progress on another thread (a
     * scrape), and reads after it find nothing. Closing twice is harmless.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (peerNaming != null) {
            peerNaming.close();
        }
        RuntimeException first = null;
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                }
            }
        }
        resources.clear();
        object.close();
        arena.close();
        if (first != null) {
            throw first;
        }
    }
}
