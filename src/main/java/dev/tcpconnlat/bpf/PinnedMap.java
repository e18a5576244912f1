package dev.tcpconnlat.bpf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

/** A map pinned in bpffs by someone else (bpftool, another tool), opened by path. */
public final class PinnedMap implements AutoCloseable {
    public static final int BPF_MAP_TYPE_HASH = 1;
    public static final int BPF_MAP_TYPE_LRU_HASH = 9;

    private final String path;
    private final int fd;
    private final int type;
    private final int keySize;
    private boolean closed;

    private PinnedMap(String path, int fd, int type, int keySize) {
        this.path = path;
        this.fd = fd;
        this.type = type;
        this.keySize = keySize;
    }

    /** Opens the pinned object at {@code path}; fails with a one-line reason unless it is a BPF map. */
    public static PinnedMap open(String path) {
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = (int) LibBpf.OBJ_GET.invokeExact(arena.allocateFrom(path));
        } catch (Throwable t) {
            throw Native.failed(t);
        }
        if (fd < 0) {
            String why = switch (-fd) {
                case 2 -> "no such file";
                case 22, 13, 1 -> "not a pinned BPF object (is it on a bpffs mount such as /sys/fs/bpf?)";
                default -> LibC.strerror(-fd);
            };
            throw new BpfException(path + ": " + why);
        }
        // The kernel describes every BPF fd in fdinfo: maps have map_type and key_size.
        int type = -1;
        int keySize = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
                String[] kv = line.split(":\\s*", 2);
                if (kv.length == 2 && kv[0].equals("map_type")) {
                    type = Integer.parseInt(kv[1].trim());
                } else if (kv.length == 2 && kv[0].equals("key_size")) {
                    keySize = Integer.parseInt(kv[1].trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            LibC.close(fd);
            throw new BpfException(path + ": cannot read its description: " + e.getMessage());
        }
        if (type < 0) {
            LibC.close(fd);
            throw new BpfException(path + ": a pinned BPF object, but not a map");
        }
        return new PinnedMap(path, fd, type, keySize);
    }

    public String path() {
        return path;
    }

    public int fd() {
        return fd;
    }

    public int type() {
        return type;
    }

    public int keySize() {
        return keySize;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LibC.close(fd);
        }
    }
}
