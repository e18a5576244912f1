package dev.tcpconnlat.trace;

import dev.tcpconnlat.bpf.BpfException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the cgroup v2 hierarchy is mounted: /sys/fs/cgroup on most hosts, .../unified on hybrid
 * ones. The last cgroup2 mount wins: in a container, the host's tree mounted over the pod's own.
 */
public final class CgroupV2 {
    private CgroupV2() {}

    public static Path root() {
        Path root = null;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].equals("cgroup2")) {
                    root = Path.of(unescape(f[1]));
                }
            }
        } catch (IOException e) {
            throw new BpfException("cannot read /proc/mounts: " + e.getMessage());
        }
        if (root == null) {
            throw new BpfException("no cgroup v2 hierarchy is mounted (mount -t cgroup2 none /sys/fs/cgroup)");
        }
        return root;
    }

    /** /proc/mounts writes space, tab, newline and backslash as \ooo. */
    private static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
