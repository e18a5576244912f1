package dev.tcpconnlat.bpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** An opened (and later loaded) BPF ELF object; closing it unloads its programs and maps. */
public final class BpfObject implements AutoCloseable {
    private final MemorySegment obj;
    private boolean closed;

    private BpfObject(MemorySegment obj) {
        this.obj = obj;
    }

    /** Opens an ELF object held in memory (libbpf copies it). */
    public static BpfObject open(byte[] elf, String name) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment buf = tmp.allocateFrom(ValueLayout.JAVA_BYTE, elf);
            // struct bpf_object_open_opts { size_t sz; const char *object_name; ... }: only the name is set,
            // so that bpftool shows our maps as tcpconn.*; libbpf accepts a shorter, older opts struct.
            MemorySegment opts = tmp.allocate(16, 8);
            opts.set(ValueLayout.JAVA_LONG, 0, opts.byteSize());
            opts.set(ValueLayout.ADDRESS, 8, tmp.allocateFrom(name));
            MemorySegment obj = (MemorySegment) LibBpf.OBJECT_OPEN_MEM.invokeExact(
                    Native.callState(), buf, (long) elf.length, opts);
            if (obj.equals(MemorySegment.NULL)) {
                throw new BpfException("cannot open BPF object " + name, Native.errno());
            }
            return new BpfObject(obj);
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    public BpfMap map(String name) {
        return new BpfMap(find(LibBpf.FIND_MAP, name, "map"), name);
    }

    public BpfProgram program(String name) {
        return new BpfProgram(find(LibBpf.FIND_PROGRAM, name, "program"), name);
    }

    /** Looks a map or program up by name; the name is copied in a temporary arena, so nothing is kept. */
    private MemorySegment find(java.lang.invoke.MethodHandle finder, String name, String kind) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment p = (MemorySegment) finder.invokeExact(obj, tmp.allocateFrom(name));
            if (p.equals(MemorySegment.NULL)) {
                throw new BpfException("BPF object has no " + kind + " named " + name);
            }
            return p;
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /** Verifies and loads every program that is set to autoload, creating the maps. */
    public void load() {
        try {
            int err = (int) LibBpf.OBJECT_LOAD.invokeExact(obj);
            BpfException.check(err, "cannot load the BPF programs");
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LibBpf.free(LibBpf.OBJECT_CLOSE, obj);
    }
}
