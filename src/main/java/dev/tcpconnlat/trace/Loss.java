package dev.tcpconnlat.trace;

/**
 * Every place where the kernel side gives up on something, in the order of {@code enum loss}
 * in src/main/bpf/tcpconn.h (the index of its counter).
 */
public enum Loss {
    EVENTS("events lost: the ring buffer was full"),
    COUNTS("connects not counted: the count map was full"),
    STORAGE("connects not traced: too many connects in flight at once (the identities map was full)"),
    DNS("DNS responses lost: the ring buffer was full"),
    HIST("connects not in a histogram: the histogram map was full"),
    ATTEMPTS("connect attempts not counted: the attempts map was full"),
    CGROUPS("cgroup names or removals not sent: the ring buffer was full (names are sent again at the next connect)");

    private final String description;

    Loss(String description) {
        this.description = description;
    }

    /** What happened, after a number: "3 events lost: ...". */
    public String description() {
        return description;
    }
}
