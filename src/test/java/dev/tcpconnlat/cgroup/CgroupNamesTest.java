package dev.tcpconnlat.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kubernetes names of pods that start close together (a rollout, Jobs): a cgroup named before its
 * pod's log directory is there is asked about again, and named as soon as the kubelet made it;
 * one whose names never come is counted once its wait is over, or it is gone.
 */
class CgroupNamesTest {
    private static final String ID = "4f1c2b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a";

    private static String uid(int i) {
        return "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d" + String.format("%02d", i);
    }

    private static String path(int i) {
        return "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uid(i).replace('-', '_')
                + ".slice/cri-containerd-" + ID.substring(0, 62) + String.format("%02d", i) + ".scope";
    }

    /** What the kubelet makes before a pod's container starts: its log directory and the container's link. */
    private static void kubeletStarts(Path logs, int i) throws Exception {
        Files.createDirectories(logs.resolve("pods/shop_web-" + i + "_" + uid(i) + "/server"));
        Files.createDirectories(logs.resolve("containers"));
        Files.createSymbolicLink(logs.resolve("containers/web-" + i + "_shop_server-" + ID.substring(0, 62)
                + String.format("%02d", i) + ".log"), logs.resolve("pods/shop_web-" + i + "_" + uid(i) + "/server/0.log"));
    }

    @Test
    void podsStartedAFewMillisecondsApartAreAllNamed(@TempDir Path root, @TempDir Path logs) throws Exception {
        CgroupNames names = new CgroupNames(root, new KubeletLogs(logs), 60_000_000_000L);
        // six pods, 30 ms apart: each cgroup is first seen (its first connect) just before its
        // pod's directory is there, so the first answer has no names
        for (int i = 0; i < 6; i++) {
            names.learn(i + 10, path(i));
            assertThat(names.labels(i + 10).pod()).isEmpty();
            assertThat(names.waiting(i + 10)).as("held back while the names may still come").isTrue();
            Thread.sleep(30);
            kubeletStarts(logs, i);
        }
        for (int i = 0; i < 6; i++) {
            CgroupLabels l = names.labels(i + 10);
            assertThat(List.of(l.namespace(), l.pod(), l.container())).containsExactly("shop", "web-" + i, "server");
            assertThat(names.waiting(i + 10)).isFalse();
        }
        assertThat(names.kubernetesNamesMissing()).isZero();
    }

    @Test
    void namesThatNeverComeAreCountedAfterTheWaitOrWhenTheCgroupIsGone(@TempDir Path root, @TempDir Path logs)
            throws Exception {
        CgroupNames names = new CgroupNames(root, new KubeletLogs(logs), 200_000_000L);
        names.learn(1, path(1));
        names.learn(2, path(2));
        names.learn(3, "/system.slice/ssh.service"); // not a pod: nothing to wait for
        assertThat(names.waiting(3)).isFalse();
        assertThat(names.waiting(1)).isTrue();
        names.gone(2);
        assertThat(names.kubernetesNamesMissing()).isEqualTo(1);
        Thread.sleep(250);
        assertThat(names.waiting(1)).as("the wait is over: served without names").isFalse();
        assertThat(names.labels(1).pod()).isEmpty();
        assertThat(names.kubernetesNamesMissing()).isEqualTo(2);
        names.gone(1); // counted once
        assertThat(names.kubernetesNamesMissing()).isEqualTo(2);
        names.learn(4, path(4));
        Thread.sleep(250);
        names.gone(4); // its wait over and gone at once: still one cgroup, counted once
        assertThat(names.kubernetesNamesMissing()).isEqualTo(3);
    }

    @Test
    void withoutKubernetesLabelsNothingWaits(@TempDir Path root) {
        CgroupNames names = new CgroupNames(root, null, 60_000_000_000L);
        names.learn(1, path(1));
        assertThat(names.waiting(1)).isFalse();
        assertThat(names.labels(1).podUid()).isEqualTo(uid(1));
    }
}
