package dev.tcpconnlat.it;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Pinned test maps on bpffs (mounted at /sys/fs/bpf when it is not yet). */
final class Pinned {
    private Pinned() {}

    static String path(String name) {
        Kernel.run("bash", "-c", "mkdir -p /sys/fs/bpf && (mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf)");
        return "/sys/fs/bpf/tcpconnlat_test_" + name + "_" + ProcessHandle.current().pid();
    }

    /** Adds a u64 key (value 1) to a pinned hash map with bpftool. */
    static void put(String map, long key) {
        List<String> cmd = new ArrayList<>(List.of("bpftool", "map", "update", "pinned", map, "key", "hex"));
        cmd.addAll(hex(key));
        cmd.addAll(List.of("value", "hex"));
        cmd.addAll(hex(1));
        Kernel.run(cmd.toArray(String[]::new));
    }

    /** A u64 as bpftool's "hex" bytes, in this machine's byte order. */
    private static List<String> hex(long value) {
        byte[] b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(value).array();
        List<String> out = new ArrayList<>();
        for (byte x : b) {
            out.add(HexFormat.of().toHexDigits(x));
        }
        return out;
    }
}
