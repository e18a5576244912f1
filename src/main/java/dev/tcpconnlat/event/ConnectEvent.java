package dev.tcpconnlat.event;

/**
 * One traced connect: a copy of an {@link EventView}.
 *
 * @param timestampNs when it happened, CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns)
 * @param latencyNs   SYN_SENT until the answer; 0 for an attempt
 * @param cgroupId    cgroup v2 id of the task that called connect()
 * @param pid         process (tgid) that called connect(), taken in its own context
 * @param ipVersion   4 or 6: the socket's family, as bcc prints it
 * @param saddr       source address as inet_ntop(3) writes it
 * @param lport       source port
 * @param errno       the socket's error when it failed, else 0
 * @param synRetransmits SYNs retransmitted before the answer or the failure
 */
public record ConnectEvent(
        long timestampNs, long latencyNs, long cgroupId,
        int pid, int tid, int uid, String comm,
        int ipVersion, String saddr, int lport, String daddr, int dport,
        Result result, int errno, int synRetransmits) {

    /** Latency in whole microseconds, as bcc's delta_us. */
    public long latencyUs() {
        return latencyNs / 1000;
    }
}
