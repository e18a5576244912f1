package dev.tcpconnlat.event;

/**
 * The key of one in-kernel latency histogram; labels that were not selected are zero (0, "",
 * ipVersion 0, daddr and peer null). With destination groups, daddr is the group's name. A key
 * by address (peerByAddress) has its daddr whatever the labels: each kernel key is one key here.
 *
 * @param peer          the destination's DNS name (or localhost, unknown, other), when keyed by it;
 *                      null for a key by address whose name is not known yet (its DNS answer may
 *                      still be on its way to user space)
 * @param peerByAddress the kernel did not know the name when the connect started and keyed it
 *                      by the address, which user space named: such keys are folded into the
 *                      name's (the exporter does it once a second)
 */
public record HistogramKey(long cgroupId, String comm, int ipVersion, String daddr, int dport, Result result,
        int synRetransmits, String peer, boolean peerByAddress) {
    /** Keyed by an address whose peer name is not known yet: served once it is. */
    public boolean peerPending() {
        return peerByAddress && peer == null;
    }

    /** This key with another result: the exporter's attempts key of a histogram (result OK). */
    public HistogramKey withResult(Result r) {
        return new HistogramKey(cgroupId, comm, ipVersion, daddr, dport, r, synRetransmits, peer, peerByAddress);
    }
}
