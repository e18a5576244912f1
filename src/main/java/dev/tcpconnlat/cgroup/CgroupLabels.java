package dev.tcpconnlat.cgroup;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who a cgroup v2 path belongs to, by the names systemd, container runtimes and the kubelet
 * give their cgroups:
 * <ul>
 * <li>{@code unit}: the innermost systemd {@code .service} or {@code .scope};
 * <li>{@code containerId}: docker ({@code docker-ID.scope}, {@code /docker/ID}), containerd
 *     ({@code cri-containerd-ID.scope}, or a 64-hex directory under kubepods), cri-o
 *     ({@code crio-ID.scope}, {@code crio-ID}), podman ({@code libpod-ID.scope},
 *     {@code /libpod_parent/libpod-ID}): the systemd and the cgroupfs drivers' names. A runtime's
 *     monitor ({@code crio-conmon-ID}, {@code libpod-conmon-ID}) is not the container;
 * <li>{@code podUid}: from {@code kubepods-...-podUID.slice} (underscores become dashes) or
 *     {@code /kubepods/.../podUID}, as kube-state-metrics' kube_pod_info has it;
 * <li>{@code namespace}, {@code pod}, {@code container}: the Kubernetes names, from the
 *     kubelet's log directories ({@link KubeletLogs}).
 * </ul>
 * Each is "" when nothing says it.
 */
public record CgroupLabels(String path, String unit, String containerId, String podUid, String namespace,
        String pod, String container) {
    /** An unknown cgroup: every label "". */
    public static final CgroupLabels NONE = new CgroupLabels("", "", "", "", "", "", "");

    private static final Pattern CONTAINER = Pattern.compile(
            "(?:docker|cri-containerd|crio|libpod)-([0-9a-f]{64})(?:\\.scope)?|([0-9a-f]{64})");
    private static final Pattern SYSTEMD_POD = Pattern.compile("kubepods(?:-[a-z]+)?-pod([0-9a-f_]{36})\\.slice");
    private static final Pattern CGROUPFS_POD = Pattern.compile("pod([0-9a-f-]{36})");

    /**
     * Whether what a Kubernetes cgroup's path says has its names: its pod's, and its container's
     * when it is one (true for every other cgroup).
     */
    public boolean kubernetesNamed() {
        return podUid.isEmpty() || (!pod.isEmpty() && (containerId.isEmpty() || !container.isEmpty()));
    }

    /** What the path says; the Kubernetes names from {@code kubelet} (null: none). */
    public static CgroupLabels of(String path, KubeletLogs kubelet) {
        String unit = "";
        String container = "";
        String pod = "";
        boolean kubepods = false;
        for (String part : path.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            kubepods |= part.equals("kubepods") || part.startsWith("kubepods-") || part.startsWith("kubepods.");
            if (part.endsWith(".service") || part.endsWith(".scope")) {
                unit = part;
            }
            Matcher c = CONTAINER.matcher(part);
            if (c.matches() && (c.group(1) != null || kubepods || path.contains("/docker/"))) {
                container = c.group(1) != null ? c.group(1) : c.group(2);
            }
            Matcher p = SYSTEMD_POD.matcher(part);
            if (p.matches()) {
                pod = p.group(1).replace('_', '-');
            } else if (kubepods && (p = CGROUPFS_POD.matcher(part)).matches()) {
                pod = p.group(1);
            }
        }
        KubeletLogs.Names k = kubelet == null || pod.isEmpty() ? null : kubelet.names(pod, container);
        return k == null ? new CgroupLabels(path, unit, container, pod, "", "", "")
                : new CgroupLabels(path, unit, container, pod, k.namespace(), k.pod(), k.container());
    }
}
