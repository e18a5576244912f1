package dev.tcpconnlat.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** cgroup paths as systemd, docker, containerd, cri-o, podman and the kubelet (both drivers) make them. */
class CgroupLabelsTest {
    private static final String ID = "4f1c2b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a";
    private static final String UID = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e";
    private static final String UID_ = "1b2c3d4e_5f6a_4b7c_8d9e_0f1a2b3c4d5e";

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/|||",
        "/system.slice/ssh.service|ssh.service||",
        "/user.slice/user-1000.slice/session-3.scope|session-3.scope||",
        "/system.slice/x.service|x.service||",
        "/system.slice/docker-" + ID + ".scope|docker-" + ID + ".scope|" + ID + "|",
        "/docker/" + ID + "||" + ID + "|",
        "/system.slice/crio-" + ID + ".scope|crio-" + ID + ".scope|" + ID + "|",
        "/machine.slice/libpod-" + ID + ".scope/container|libpod-" + ID + ".scope|" + ID + "|",
        "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_ + ".slice/cri-containerd-" + ID
                + ".scope|cri-containerd-" + ID + ".scope|" + ID + "|" + UID,
        "/kubepods.slice/kubepods-pod" + UID_ + ".slice/crio-" + ID + ".scope|crio-" + ID + ".scope|" + ID + "|" + UID,
        "/kubepods/besteffort/pod" + UID + "/" + ID + "||" + ID + "|" + UID,
        "/kubepods/pod" + UID + "||" + "|" + UID,
        "/system.slice/" + ID + ".service|" + ID + ".service||",
        // the cgroupfs drivers' forms, and the runtimes' monitors beside their containers
        "/libpod_parent/libpod-" + ID + "||" + ID + "|",
        "/machine.slice/libpod-" + ID + ".scope|libpod-" + ID + ".scope|" + ID + "|",
        "/machine.slice/libpod-conmon-" + ID + ".scope|libpod-conmon-" + ID + ".scope||",
        "/kubepods/besteffort/pod" + UID + "/crio-" + ID + "||" + ID + "|" + UID,
        "/kubepods/besteffort/pod" + UID + "/crio-conmon-" + ID + "|||" + UID,
        "/kubepods.slice/kubepods-pod" + UID_ + ".slice/crio-conmon-" + ID + ".scope|crio-conmon-" + ID + ".scope||" + UID,
    })
    void labelsFromPaths(String path, String unit, String container, String pod) {
        CgroupLabels l = CgroupLabels.of(path, null);
        assertThat(List.of(l.path(), l.unit(), l.containerId(), l.podUid())).containsExactly(path, n(unit), n(container), n(pod));
        assertThat(List.of(l.namespace(), l.pod(), l.container())).containsOnly("");
    }

    /** The kubelet's log layout names the pod and the container, for both cgroup drivers. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_ + ".slice/cri-containerd-" + ID + ".scope",
        "/kubepods/burstable/pod" + UID + "/" + ID,
    })
    void kubernetesNamesFromTheKubeletLogs(String path, @TempDir Path logs) throws Exception {
        Files.createDirectories(logs.resolve("pods/shop_cart-7d9f8b6c5-x2x4z_" + UID + "/server"));
        Files.createDirectories(logs.resolve("containers"));
        Files.createSymbolicLink(logs.resolve("containers/cart-7d9f8b6c5-x2x4z_shop_server-" + ID + ".log"),
                logs.resolve("pods/shop_cart-7d9f8b6c5-x2x4z_" + UID + "/server/0.log"));
        Files.createDirectories(logs.resolve("pods/other_pod_" + UID.replace('1', '2') + "/c"));
        CgroupLabels l = CgroupLabels.of(path, new KubeletLogs(logs));
        assertThat(List.of(l.namespace(), l.pod(), l.container())).containsExactly("shop", "cart-7d9f8b6c5-x2x4z", "server");
        CgroupLabels unknownContainer = CgroupLabels.of(path.replace(ID, ID.replace('4', '5')), new KubeletLogs(logs));
        assertThat(List.of(unknownContainer.namespace(), unknownContainer.pod(), unknownContainer.container()))
                .containsExactly("shop", "cart-7d9f8b6c5-x2x4z", "");
        CgroupLabels noLogs = CgroupLabels.of(path, new KubeletLogs(logs.resolve("missing")));
        assertThat(List.of(noLogs.namespace(), noLogs.pod(), noLogs.container())).containsOnly("");
    }

    private static String n(String s) {
        return s == null ? "" : s;
    }
}
