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
 * <p>
 * A Kubernetes cgroup whose pod or container is not (yet) in the kubelet's log directories is
 * asked about again at each look-up (the directories are read again only when they changed), for
 * up to the wait given; the exporter holds its series back meanwhile ({@link #waiting}). Those
 * still unnamed after the wait are counted ({@link #kubernetesNamesMissing}).
 */
public final class CgroupNames {
    public static final int CAPACITY = 16_384;
    private static final long RESCAN_NS = 1_000_000_000L;

    private final Path root;
    private final KubeletLogs kubelet;
    private final Map<Long, CgroupLabels> byId = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, CgroupLabels> eldest) {
            if (size() <= CAPACITY) {
                return false;
            }
            unnamedSince.remove(eldest.getKey());
            return true;
        }
    };
    private long lastScan = System.nanoTime() - RESCAN_NS;
    private final long waitNs;
    /** Cgroups whose Kubernetes names are not known yet, and since when. */
    private final Map<Long, Long> unnamedSince = new java.util.HashMap<>();
    private long kubernetesNamesMissing;
    private long unresolved;
    /** The last id found: a burst of connects comes from one cgroup (and a map look-up boxes the id). */
    private long lastId;
    private CgroupLabels last;

    /** How long a Kubernetes cgroup's names are looked for by default (the exporter's default grace). */
    public static final long DEFAULT_WAIT_NS = 300_000_000_000L;

    /**
     * {@code root}: the cgroup v2 mount; {@code kubelet}: where Kubernetes names come from, or
     * null; {@code waitNs}: how long a pod's or container's names are looked for.
     */
    public CgroupNames(Path root, KubeletLogs kubelet, long waitNs) {
        this.root = root;
        this.kubelet = kubelet;
        this.waitNs = waitNs;
    }

    /** The kernel named cgroup {@code id}: {@code path} below the root, or null when it could not copy it whole. */
    public synchronized void learn(long id, String path) {
        if (id == lastId) {
            last = null;
        }
        if (path == null) {
            byId.remove(id);
            unnamedSince.remove(id);
        } else {
            put(id, CgroupLabels.of(path, kubelet));
        }
    }

    private void put(long id, CgroupLabels labels) {
        byId.put(id, labels);
        if (kubelet != null && !labels.kubernetesNamed()) {
            unnamedSince.putIfAbsent(id, System.nanoTime());
        } else {
            unnamedSince.remove(id);
        }
    }

    /** The cgroup's labels; {@link CgroupLabels#NONE} if no cgroup has (or had, while this ran) that id. */
    public synchronized CgroupLabels labels(long id) {
        if (last != null && id == lastId) {
            return last;
        }
        CgroupLabels n = byId.get(id);
        if (n != null && unnamedSince.containsKey(id)) {
            n = askAgain(id, n, false);
        }
        if (n == null && System.nanoTime() - lastScan >= RESCAN_NS) {
            scan();
            n = byId.get(id);
        }
        if (n == null) {
            unresolved++;
            return CgroupLabels.NONE;
        }
        if (!unnamedSince.containsKey(id)) { // the fast path is for cgroups that are settled
            lastId = id;
            last = n;
        }
        return n;
    }

    /**
     * A cgroup whose Kubernetes names were missing: its labels again; when still missing and the
     * wait is over, or the cgroup is {@code gone}, looked for no more and counted (once).
     */
    private CgroupLabels askAgain(long id, CgroupLabels old, boolean gone) {
        CgroupLabels n = CgroupLabels.of(old.path(), kubelet);
        byId.put(id, n);
        if (n.kubernetesNamed()) {
            unnamedSince.remove(id);
        } else if (gone || System.nanoTime() - unnamedSince.get(id) >= waitNs) {
            unnamedSince.remove(id);
            kubernetesNamesMissing++;
        }
        return n;
    }

    /**
     * Whether the cgroup's Kubernetes names are still being looked for (asked again now): the
     * exporter serves none of its series until they are found, or the wait is over.
     */
    public synchronized boolean waiting(long id) {
        CgroupLabels n = byId.get(id);
        if (n == null || !unnamedSince.containsKey(id)) {
            return false;
        }
        askAgain(id, n, false);
        return unnamedSince.containsKey(id);
    }

    /** The cgroup was removed: its names are looked for no more (counted if they were not found). */
    public synchronized void gone(long id) {
        CgroupLabels n = byId.get(id);
        if (n != null && unnamedSince.containsKey(id)) {
            askAgain(id, n, true);
        }
    }

    /** Kubernetes cgroups whose pod or container was still not in the kubelet's log directories after the wait. */
    public synchronized long kubernetesNamesMissing() {
        return kubernetesNamesMissing;
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
                        put(ino, CgroupLabels.of(path, kubelet));
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
