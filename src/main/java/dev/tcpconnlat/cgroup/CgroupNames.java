package dev.tcpconnlat.cgroup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * cgroup v2 id -> the cgroup's labels. The kernel side sends each cgroup's path the first time
 * it connects ({@link #learn}), so a cgroup removed right after is still named. An id it did not
 * name (a path too deep to copy whole, or names lost to a full ring buffer) is looked up in the
 * hierarchy, walked at most once a second. At most {@link #CAPACITY} ids are kept, the least
 * recently used forgotten (the exporter keeps the labels of its series itself).
 */
public final class CgroupNames {
    public static final int CAPACITY = 16_384;
    private static final long RESCAN_NS = 1_000_000_000L;

    private final Path root;
    private final KubeletLogs kubelet;
    private final Map<Long, CgroupLabels> byId = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, CgroupLabels> eldest) {
            return size() > CAPACITY;
        }
    };
    private long lastScan = System.nanoTime() - RESCAN_NS;
    private long unresolved;
    /** The last id found: a burst of connects comes from one cgroup (and a map look-up boxes the id). */
    private long lastId;
    private CgroupLabels last;

    /** {@code root}: the cgroup v2 mount; {@code kubelet}: where Kubernetes names come from, or null. */
    public CgroupNames(Path root, KubeletLogs kubelet) {
        this.root = root;
        this.kubelet = kubelet;
    }

    /** The kernel named cgroup {@code id}: {@code path} below the root, or null when it could not copy it whole. */
    public synchronized void learn(long id, String path) {
        if (id == lastId) {
            last = null;
        }
        if (path == null) {
            byId.remove(id);
        } else {
            byId.put(id, CgroupLabels.of(path, kubelet));
        }
    }

    /** The cgroup's labels; {@link CgroupLabels#NONE} if no cgroup has (or had, while this ran) that id. */
    public synchronized CgroupLabels labels(long id) {
        if (last != null && id == lastId) {
            return last;
        }
        CgroupLabels n = byId.get(id);
        if (n == null && System.nanoTime() - lastScan >= RESCAN_NS) {
            scan();
            n = byId.get(id);
        }
        if (n == null) {
            unresolved++;
            return CgroupLabels.NONE;
        }
        lastId = id;
        last = n;
        return n;
    }

    /** Look-ups that found no name. */
    public synchronized long unresolved() {
        return unresolved;
    }

    private void scan() {
        lastScan = System.nanoTime();
        last = null; // a path may change (an inode number reused)
        try (Stream<Path> dirs = Files.walk(root)) {
            dirs.filter(Files::isDirectory).forEach(d -> {
                try {
                    long ino = ((Number) Files.getAttribute(d, "unix:ino")).longValue();
                    String path = "/" + root.relativize(d);
                    CgroupLabels old = byId.get(ino);
                    if (old == null || !old.path().equals(path)) {
                        byId.put(ino, CgroupLabels.of(path, kubelet));
                    }
                } catch (IOException | UncheckedIOException e) {
                    // removed while walking
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // a cgroup removed while walking: what was read is kept
        }
    }
}
