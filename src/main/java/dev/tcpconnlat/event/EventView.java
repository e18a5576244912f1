package dev.tcpconnlat.event;

import java.nio.charset.StandardCharsets;

/**
 * One traced connect as the kernel wrote it, read in place: the text output's hot path. The
 * getters allocate nothing; the text forms of comm and addresses go into the caller's buffers.
 * The view is valid only during the call that passed it: {@link #toRecord} keeps one.
 */
public interface EventView {
    /** Longest comm, in bytes (the kernel's TASK_COMM_LEN, NUL included). */
    int COMM_LEN = 16;
    /** Longest address text, in bytes (INET6_ADDRSTRLEN, NUL included). */
    int ADDRSTRLEN = 46;

    /** When it happened, CLOCK_MONOTONIC nanoseconds. */
    long timestampNs();

    /** SYN_SENT until the answer; 0 for an attempt. */
    long latencyNs();

    /** Whole microseconds, as bcc's delta_us. */
    default long latencyUs() {
        return latencyNs() / 1000;
    }

    /** When connect() started: tcpconnlat's events are stamped when answered. */
    default long connectNs() {
        return timestampNs() - latencyNs();
    }

    long cgroupId();

    int pid();

    int tid();

    /** The uid as an unsigned number. */
    long uid();

    /** 4 or 6, bcc's IP column. */
    int ipVersion();

    int lport();

    int dport();

    /** SYNs retransmitted before the answer or the failure (0 for an attempt). */
    int synRetransmits();

    int errno();

    /** How it ended, as the kernel decided (PENDING for an attempt). */
    Result result();

    /** Copies the comm's bytes (up to {@link #COMM_LEN}, without the NUL) into {@code dst}; returns how many. */
    int comm(byte[] dst);

    /** The comm as the process set it: UTF-8, invalid bytes replaced (U+FFFD), control characters kept. */
    default String comm() {
        byte[] b = new byte[COMM_LEN];
        return new String(b, 0, comm(b), StandardCharsets.UTF_8);
    }

    /** Writes the source address as inet_ntop(3) does (ASCII) into {@code dst} (at least {@link #ADDRSTRLEN}); returns its length. */
    int saddr(byte[] dst);

    /** The destination address, as {@link #saddr(byte[])}. */
    int daddr(byte[] dst);

    default String saddr() {
        byte[] b = new byte[ADDRSTRLEN];
        return new String(b, 0, saddr(b), StandardCharsets.US_ASCII);
    }

    default String daddr() {
        byte[] b = new byte[ADDRSTRLEN];
        return new String(b, 0, daddr(b), StandardCharsets.US_ASCII);
    }

    /** A copy that outlives the view. */
    default ConnectEvent toRecord() {
        return new ConnectEvent(timestampNs(), latencyNs(), cgroupId(), pid(), tid(), (int) uid(), comm(),
                ipVersion(), saddr(), lport(), daddr(), dport(), result(), errno(), synRetransmits());
    }
}
