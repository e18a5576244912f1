package dev.tcpconnlat.event;

/**
 * How a connect ended, as printed in the RESULT column and the JSON "result" field. OK to
 * ERROR are, in this order, the kernel's {@code enum result} of a histogram key (tcpconn.h).
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

    private static final int ENETUNREACH = 101;
    private static final int ETIMEDOUT = 110;
    private static final int ECONNREFUSED = 111;
    private static final int EHOSTUNREACH = 113;

    private static final Result[] VALUES = values();

    /** The kernel's {@code enum result}. */
    public static Result ofKernel(int code) {
        return code >= 0 && code < PENDING.ordinal() ? VALUES[code] : ERROR;
    }

    static Result of(int kind, int errno) {
        if (kind == EventLayout.EVENT_ATTEMPT) {
            return PENDING;
        }
        return switch (errno) {
            case 0 -> kind == EventLayout.EVENT_ANSWERED ? OK : ABORTED;
            case ECONNREFUSED -> REFUSED;
            case ETIMEDOUT -> TIMEDOUT;
            case EHOSTUNREACH, ENETUNREACH -> UNREACH;
            default -> ERROR;
        };
    }
}
