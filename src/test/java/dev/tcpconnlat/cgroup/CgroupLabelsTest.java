package dev.tcpconnlat.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

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
    })
    void labelsFromPaths(String path, String unit, String container, String pod) {
        assertThat(CgroupLabels.of(path)).isEqualTo(new CgroupLabels(n(unit), n(container), n(pod)));
    }

    private static String n(String s) {
        return s == null ? "" : s;
    }
}
