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

    private final Path root;
    private final Map<Long, String> byId = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, String> eldest) {
            return size() > CAPACITY;
        }
    };
    private long lastScan = System.nanoTime() - RESCAN_NS;
    private long unresolved;

    public CgroupPaths(Path root) {
        this.root = root;
    }

    /** The cgroup's path, or null if no cgroup has (or had, while this ran) that id. */
    public String path(long id) {
        String p = byId.get(id);
        if (p == null && System.nanoTime() - lastScan >= RESCAN_NS) {
            scan();
            p = byId.get(id);
        }
        if (p == null) {
            unresolved++;
        }
        return p;
    }

    /** Look-ups that found no path. */
    public long unresolved() {
        return unresolved;
    }

    private void scan() {
        lastScan = System.nanoTime();
        try (Stream<Path> dirs = Files.walk(root)) {
            dirs.filter(Files::isDirectory).forEach(d -> {
                try {
                    long ino = ((Number) Files.getAttribute(d, "unix:ino")).longValue();
                    String rel = root.relativize(d).toString();
                    byId.put(ino, "/" + rel);
                } catch (IOException | UncheckedIOException e) {
                    // removed while walking
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // a cgroup removed while walking: what was read is kept
        }
    }
}
