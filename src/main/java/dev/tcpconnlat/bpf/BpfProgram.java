package dev.tcpconnlat.bpf;

import java.lang.foreign.MemorySegment;

/** One program of a {@link BpfObject}; owned by it. */
public final class BpfProgram {
    private final MemorySegment prog;
    private final String name;

    BpfProgram(MemorySegment prog, String name) {
        this.prog = prog;
        this.name = name;
    }

    /** Before load: whether the program is loaded at all. */
    public void setAutoload(boolean autoload) {
        try {
            BpfException.check((int) LibBpf.PROGRAM_SET_AUTOLOAD.invokeExact(prog, autoload),
                    "cannot set autoload of " + name);
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /** The loaded program's fd (its /proc/self/fdinfo has the kernel's run count and time). */
    public int fd() {
        try {
            return (int) LibBpf.PROGRAM_FD.invokeExact(prog);
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    public String name() {
        return name;
    }

    /** Attaches where the program's section name says (e.g. tp_btf/inet_sock_set_state). */
    public BpfLink attach() {
        try {
            return link((MemorySegment) LibBpf.PROGRAM_ATTACH.invokeExact(Native.callState(), prog), "");
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /** Attaches a cgroup program (sockops, cgroup_skb) to the cgroup open as {@code cgroupFd}. */
    public BpfLink attachCgroup(int cgroupFd, String cgroupPath) {
        try {
            return link((MemorySegment) LibBpf.PROGRAM_ATTACH_CGROUP.invokeExact(Native.callState(), prog, cgroupFd),
                    " to cgroup " + cgroupPath);
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    private BpfLink link(MemorySegment link, String where) {
        if (link.equals(MemorySegment.NULL)) {
            throw new BpfException("cannot attach " + name + where, Native.errno());
        }
        return new BpfLink(link);
    }
}
