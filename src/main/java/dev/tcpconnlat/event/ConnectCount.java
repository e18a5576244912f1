package dev.tcpconnlat.event;

/** One row of tcpconnect -c: connects from one source address and port to one destination. */
public record ConnectCount(String saddr, int lport, String daddr, int dport, long count) {}
