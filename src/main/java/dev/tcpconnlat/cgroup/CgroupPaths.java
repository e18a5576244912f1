package dev.tcpconnlat.cgroup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * cgroup v2 id -> path below the hierarchy's root ("/system.slice/ssh.service"). The id the
 * kernel reports is the inode number of the cgroup's directory, so the hierarchy is walked and
 * remembered; an unknown id walks it again, at most once a second. A cgroup that is gone keeps
 * its last path. At most {@link #CAPACITY} ids are kept, the least recently used forgotten.
 */
public final class CgroupPaths {
    public static final int CAPACITY = 16_384;
    private static final long RESCAN_NS = 1_000_000_000L;

    /** A cgroup's path and what it says of its owner. */
    public record Named(String path, CgroupLabels labels) {}

    private final Path root;
    private final Map<Long, Named> byId = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Named> eldest) {
            return size() > CAPACITY;
        }
    };
    private long lastScan = System.nanoTime() - RESCAN_NS;
    private long unresolved;
    /** The last id found: a burst of connects comes from one cgroup (and a map look-up boxes the id). */
    private long lastId;
    private Named last;

    public CgroupPaths(Path root) {
        this.root = root;
    }

    /** The cgroup's path and labels, or null if no cgroup has (or had, while this ran) that id. */
    public synchronized Named named(long id) {
        if (last != null && id == lastId) {
            return last;
        }
        Named n = byId.get(id);
        if (n == null && System.nanoTime() - lastScan >= RESCAN_NS) {
            scan();
            n = byId.get(id);
        }
        if (n == null) {
            unresolved++;
        } else {
            lastId = id;
            last = n;
        }
        return n;
    }

    /** Look-ups that found no path. */
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
                    Named old = byId.get(ino);
                    if (old == null || !old.path().equals(path)) {
                        byId.put(ino, new Named(path, CgroupLabels.of(path)));
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
