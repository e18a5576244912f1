package dev.tcpconnlat.cgroup;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Kubernetes names without the API server: the kubelet's log layout, which every CRI runtime
 * shares, names each pod and container on the node:
 * <pre>
 * /var/log/pods/NAMESPACE_POD_UID/CONTAINER/
 * /var/log/containers/POD_NAMESPACE_CONTAINER-CONTAINERID.log
 * </pre>
 * A pod uid or container id not known yet reads the directories again when they changed since
 * the last read (their mtimes: the kubelet makes a pod's directory and a container's link before
 * the container starts), or a second passed (a change within the clock tick of the last read).
 * Pods are remembered as long as the cgroups that name them (the caller keeps the labels).
 */
public final class KubeletLogs {
    private static final long RESCAN_NS = 1_000_000_000L;

    /** A pod's names and its containers' names by id. */
    private record Pod(String namespace, String name, Map<String, String> containers) {}

    /** The names of a pod and of one of its containers; each "" when unknown. */
    public record Names(String namespace, String pod, String container) {}

    private static final Object MISSING = new Object();

    private final Path pods;
    private final Path containers;
    private Map<String, Pod> byUid = Map.of();
    private long lastScan;
    private boolean scanned;
    /** The directories' mtimes when last read. */
    private Object podsChanged = MISSING;
    private Object containersChanged = MISSING;

    /** {@code logDir}: /var/log, or where the node's kubelet logs are mounted. */
    public KubeletLogs(Path logDir) {
        this.pods = logDir.resolve("pods");
        this.containers = logDir.resolve("containers");
    }

    /** The names of the pod with this uid and of its container {@code containerId} ("": none). */
    public synchronized Names names(String podUid, String containerId) {
        Pod p = byUid.get(podUid);
        boolean known = p != null && (containerId.isEmpty() || p.containers().containsKey(containerId));
        if (!known && changedSinceScan()) {
            scan();
            p = byUid.get(podUid);
        }
        return p == null ? new Names("", "", "") : new Names(p.namespace(), p.name(), p.containers().getOrDefault(containerId, ""));
    }

    private boolean changedSinceScan() {
        return !scanned || System.nanoTime() - lastScan >= RESCAN_NS
                || !mtime(pods).equals(podsChanged) || !mtime(containers).equals(containersChanged);
    }

    private static Object mtime(Path dir) {
        try {
            return Files.getLastModifiedTime(dir);
        } catch (IOException e) {
            return MISSING;
        }
    }

    private void scan() {
        scanned = true;
        lastScan = System.nanoTime();
        // before the listing: a change while it is read is seen at the next look-up
        podsChanged = mtime(pods);
        containersChanged = mtime(containers);
        // POD_NAMESPACE_CONTAINER-ID.log -> (namespace, pod) -> id -> container
        Map<String, Map<String, String>> containersOf = new HashMap<>();
        for (String file : list(containers)) {
            String[] parts = file.split("_", 3);
            int dash = parts.length == 3 ? parts[2].lastIndexOf('-') : -1;
            if (dash < 0 || !parts[2].endsWith(".log")) {
                continue;
            }
            String id = parts[2].substring(dash + 1, parts[2].length() - ".log".length());
            containersOf.computeIfAbsent(parts[1] + "_" + parts[0], k -> new HashMap<>())
                    .put(id, parts[2].substring(0, dash));
        }
        Map<String, Pod> found = new HashMap<>();
        for (String dir : list(pods)) {
            // names and namespaces have no '_' (DNS labels), the uid is last
            String[] parts = dir.split("_");
            if (parts.length == 3) {
                found.put(parts[2], new Pod(parts[0], parts[1],
                        Map.copyOf(containersOf.getOrDefault(parts[0] + "_" + parts[1], Map.of()))));
            }
        }
        byUid = found;
    }

    private static Iterable<String> list(Path dir) {
        java.util.List<String> names = new java.util.ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(p -> names.add(p.getFileName().toString()));
        } catch (IOException e) {
            // not a Kubernetes node, or not mounted: no names
        }
        return names;
    }
}
