package dev.tcpconnlat.event;

/**
 * How a connect ended, as printed in the RESULT column and the JSON "result" field: the
 * kernel's {@code enum result} (tcpconn.h), in this order, carried in every event and histogram key.
 */
public enum Result {
    /** Answered with SYN-ACK: established. */
    OK,
    /** Answered with RST. */
    REFUSED,
    /** No answer before the SYN retries ran out. */
    TIMEDOUT,
    /** An ICMP error said the host or network cannot be reached. */
    UNREACH,
    /** The application closed the socket before any answer. */
    ABORTED,
    /** Any other socket error; the errno says which. */
    ERROR,
    /** tcpconnect's attempts have no result yet. */
    PENDING;

    private static final Result[] VALUES = values();

    /** The kernel's {@code enum result}, which it decides once (tcpconn.bpf.c, result_of). */
    public static Result ofKernel(int code) {
        return code >= 0 && code < VALUES.length ? VALUES[code] : ERROR;
    }
}
