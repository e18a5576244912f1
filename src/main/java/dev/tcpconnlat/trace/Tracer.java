package dev.tcpconnlat.trace;

import dev.tcpconnlat.bpf.BpfException;
import dev.tcpconnlat.bpf.BpfMap;
import dev.tcpconnlat.bpf.BpfObject;
import dev.tcpconnlat.bpf.LibBpfLog;
import dev.tcpconnlat.bpf.LibC;
import dev.tcpconnlat.bpf.PinnedMap;
import dev.tcpconnlat.bpf.RingBuffer;
import dev.tcpconnlat.event.ConnectCount;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The kernel side, loaded and attached: src/main/bpf/tcpconn.bpf.c configured by a
 * {@link TraceConfig}. Closing it detaches every program and frees every map.
 */
public final class Tracer implements AutoCloseable {
    private static final String OBJECT = "/bpf/tcpconn.bpf.o";
    private static final int LOST_EVENTS = 0;
    private static final int LOST_COUNTS = 1;

    private final BpfObject object;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final TraceConfig config;

    private Tracer(BpfObject object, TraceConfig config) {
        this.object = object;
        this.config = config;
    }

    /** Opens, configures, loads and attaches; on any failure everything done so far is undone. */
    public static Tracer start(TraceConfig config) {
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
        object.program("handle_sockops").setAutoload(config.mode() != TraceConfig.Mode.LATENCY);
        object.program("handle_dns_ingress").setAutoload(config.dns());
        try {
            object.load();
        } catch (BpfException e) {
            String libbpf = LibBpfLog.lastWarning();
            throw new BpfException(e.getMessage() + (libbpf.isEmpty() ? "" : " (" + libbpf + ")"));
        }
        BpfMap dports = object.map("dports");
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
        resources.add(object.program("handle_set_state").attach());
        List<String> cgroupPrograms = new ArrayList<>();
        if (config.mode() != TraceConfig.Mode.LATENCY) {
            cgroupPrograms.add("handle_sockops");
        }
        if (config.dns()) {
            cgroupPrograms.add("handle_dns_ingress");
        }
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

    /** The ring buffer of events; the caller polls it. Not for count mode. */
    public RingBuffer events(RingBuffer.Handler handler) {
        RingBuffer rb = new RingBuffer(object.map("events"), handler);
        resources.add(rb);
        return rb;
    }

    /** Events dropped because the ring buffer was full. */
    public long lostEvents() {
        return counter(LOST_EVENTS);
    }

    /** Count mode: connects not counted because the count map was full. */
    public long lostCounts() {
        return counter(LOST_COUNTS);
    }

    private long counter(int index) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocateFrom(ValueLayout.JAVA_INT, index);
            MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
            return object.map("counters").lookup(key, value) ? value.get(ValueLayout.JAVA_LONG, 0) : 0;
        }
    }

    /** Count mode: the in-kernel table, most connects first. */
    public List<ConnectCount> counts() {
        BpfMap counts = object.map("counts");
        List<ConnectCount> rows = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(ConnectCount.KEY_SIZE);
            MemorySegment next = arena.allocate(ConnectCount.KEY_SIZE);
            MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment prev = MemorySegment.NULL;
            while (counts.nextKey(prev, next)) {
                key.copyFrom(next);
                prev = key;
                if (counts.lookup(key, value)) {
                    rows.add(ConnectCount.decode(key, value.get(ValueLayout.JAVA_LONG, 0)));
                }
            }
        }
        rows.sort(Comparator.comparingLong(ConnectCount::count).reversed());
        return rows;
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

    @Override
    public void close() {
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
        if (first != null) {
            throw first;
        }
    }
}
