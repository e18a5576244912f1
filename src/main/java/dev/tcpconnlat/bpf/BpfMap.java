package dev.tcpconnlat.bpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** One map of a {@link BpfObject}; owned by it. Key and value are native segments of the map's sizes. */
public final class BpfMap {
    private static final int ENOENT = 2;
    private static final int EINVAL = 22;
    private static final int EOPNOTSUPP = 95;
    /** The kernel's own "not supported" (not in userspace errno.h). */
    private static final int ENOTSUPP = 524;
    public static final long BPF_ANY = 0;

    private final MemorySegment map;
    private final String name;

    BpfMap(MemorySegment map, String name) {
        this.map = map;
        this.name = name;
    }

    public int fd() {
        try {
            return BpfException.check((int) LibBpf.MAP_FD.invokeExact(map), "map " + name + " has no fd");
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /** Before load: the writable initial contents of a global-data map (.rodata, .bss). */
    public MemorySegment initialValue() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(Native.C_LONG);
            MemorySegment value = (MemorySegment) LibBpf.MAP_INITIAL_VALUE.invokeExact(map, size);
            if (value.equals(MemorySegment.NULL)) {
                throw new BpfException("map " + name + " has no initial value");
            }
            return value.reinterpret(size.get(Native.C_LONG, 0));
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /** The map's max_entries (for a ring buffer, its size in bytes). */
    public long maxEntries() {
        try {
            return Integer.toUnsignedLong((int) LibBpf.MAP_MAX_ENTRIES.invokeExact(map));
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /** Before load: the map's size (for a ring buffer, its bytes: a power of two, a multiple of the page size). */
    public void setMaxEntries(int entries) {
        try {
            BpfException.check((int) LibBpf.MAP_SET_MAX_ENTRIES.invokeExact(map, entries),
                    "cannot size map " + name + " to " + Integer.toUnsignedString(entries));
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /** Before load: use an existing map (e.g. a pinned one) instead of creating this one. */
    public void reuse(PinnedMap pinned) {
        try {
            BpfException.check((int) LibBpf.MAP_REUSE_FD.invokeExact(map, pinned.fd()),
                    "cannot use " + pinned.path() + " as " + name);
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    public void update(MemorySegment key, MemorySegment value, long flags) {
        updateElem(fd(), key, value, flags, name);
    }

    /** Copies the value of {@code key} into {@code value}; false if there is no such key. */
    public boolean lookup(MemorySegment key, MemorySegment value) {
        try {
            return found((int) LibBpf.MAP_LOOKUP_ELEM.invokeExact(fd(), key, value), "lookup in map ");
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /**
     * Copies the value of {@code key} into {@code value} and deletes the key, at once where the
     * kernel can (hash maps since Linux 5.14; before, a look-up then a delete); false if there is no such key.
     */
    public boolean lookupAndDelete(MemorySegment key, MemorySegment value) {
        try {
            int r = (int) LibBpf.MAP_LOOKUP_AND_DELETE_ELEM.invokeExact(fd(), key, value);
            if (r == -EINVAL || r == -ENOTSUPP || r == -EOPNOTSUPP) {
                if (!lookup(key, value)) {
                    return false;
                }
                r = (int) LibBpf.MAP_DELETE_ELEM.invokeExact(fd(), key);
            }
            return found(r, "lookup and delete in map ");
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /** Writes the key after {@code key} (the first key if {@code key} is NULL) into {@code next}; false at the end. */
    public boolean nextKey(MemorySegment key, MemorySegment next) {
        try {
            return found((int) LibBpf.MAP_GET_NEXT_KEY.invokeExact(fd(), key, next), "iterating map ");
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /** -ENOENT is "no such key"; any other negative result is an error. */
    private boolean found(int result, String what) {
        if (result == -ENOENT) {
            return false;
        }
        if (result < 0) { // the message is built only then: lookups run in every poll iteration
            BpfException.check(result, what + name);
        }
        return true;
    }

    static void updateElem(int fd, MemorySegment key, MemorySegment value, long flags, String name) {
        try {
            BpfException.check((int) LibBpf.MAP_UPDATE_ELEM.invokeExact(fd, key, value, flags),
                    "update of map " + name);
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }
}
