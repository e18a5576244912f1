package dev.tcpconnlat.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real container runtime (Debian's podman, with runc): a container made from a busybox rootfs
 * (nothing pulled) connects to a listener on the host; the JSON line's container_id is the id
 * podman inspect gives, from the cgroup podman's cgroupfs manager made
 * ({@code /libpod_parent/libpod-ID}, no {@code .scope}).
 */
class ContainerRuntimeKernelTest {
    private static final String IMAGE = "localhost/tcpconnlat-test-busybox:latest";

    @BeforeEach
    void root() {
        Kernel.requireRoot();
    }

    @Test
    void podmanContainerIdIsTheRuntimesOwn() throws Exception {
        Path rootfs = Files.createTempDirectory("tcpconnlat-rootfs");
        String name = "tcpconnlat-test-" + ProcessHandle.current().pid();
        try (Listener server = new Listener("127.0.0.1"); Tool json = Tool.start("tcpconnlat", "--json")) {
            Kernel.run("bash", "-c", "mkdir -p " + rootfs + "/bin && cp /bin/busybox " + rootfs + "/bin/ && "
                    + "for t in sh nc sleep; do ln -s busybox " + rootfs + "/bin/$t; done && "
                    + "tar -C " + rootfs + " -c . | podman import -q - " + IMAGE);
            // the connect waits for the test to know the container's id
            Kernel.run("podman", "--runtime", "runc", "run", "-d", "--name", name, "--network", "host",
                    "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096", IMAGE,
                    "sh", "-c", "sleep 1; nc 127.0.0.1 " + server.port() + " < /dev/null");
            String id = Kernel.run("podman", "inspect", "--format", "{{.Id}}", name).trim();
            assertThat(id).matches("[0-9a-f]{64}");
            JsonNode line = new ObjectMapper().readTree(json.await(l -> l.contains("\"comm\":\"nc\"")
                    && l.contains("\"dport\":" + server.port() + ","), Duration.ofSeconds(30)));
            assertThat(line.get("container_id").asText()).as("podman inspect says " + id).isEqualTo(id);
        } finally {
            Kernel.bash("podman rm -f " + name + " >/dev/null 2>&1").waitFor();
            Kernel.run("rm", "-rf", rootfs.toString());
        }
    }
}
