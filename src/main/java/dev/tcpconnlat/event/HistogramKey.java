package dev.tcpconnlat.event;

/**
 * The key of one in-kernel latency histogram; labels that were not selected are zero (0, "",
 * ipVersion 0, daddr null). With destination groups, daddr is the group's name.
 */
public record HistogramKey(long cgroupId, String comm, int ipVersion, String daddr, int dport, Result result,
        int synRetransmits) {
    /** This key with another result: the exporter's attempts key of a histogram (result OK). */
    public HistogramKey withResult(Result r) {
        return new HistogramKey(cgroupId, comm, ipVersion, daddr, dport, r, synRetransmits);
    }
}
