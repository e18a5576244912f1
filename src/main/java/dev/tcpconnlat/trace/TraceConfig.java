package dev.tcpconnlat.trace;

import java.util.List;

/**
 * What to trace and how; every filter runs in the kernel.
 *
 * @param mode          what the kernel sends: answered connects with latency, attempts, or only counts
 * @param pid           process to trace, 0 for all
 * @param uid           user to trace, -1 for all
 * @param family        AF_INET, AF_INET6, or 0 for both
 * @param minLatencyNs  tcpconnlat: hide connects answered faster
 * @param reportFailures tcpconnlat -e: also connects that got no answer
 * @param dports        destination ports to trace; empty for all
 * @param cgroupMap     path of a pinned hash map of cgroup v2 ids to trace, or null
 * @param mountNsMap    path of a pinned hash map of mount namespace inodes to trace, or null
 * @param countByLport  count mode: the source port is part of the key
 * @param dns           also send DNS responses (UDP from port 53) to user space, for -d
 * @param wakeupBytes   wake the consumer only once this much is unread (it drains on a timer anyway)
 */
public record TraceConfig(
        Mode mode, int pid, long uid, int family, long minLatencyNs, boolean reportFailures,
        List<Integer> dports, String cgroupMap, String mountNsMap, boolean countByLport, boolean dns,
        long wakeupBytes) {

    public enum Mode { LATENCY, ATTEMPTS, COUNT }

    public static final long DEFAULT_WAKEUP_BYTES = 64 * 1024;
}
