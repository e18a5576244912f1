package dev.tcpconnlat.bpf;

/** A failed libbpf or system call: what was attempted, and the errno it gave, in words. */
public final class BpfException extends RuntimeException {
    private final int errno;

    public BpfException(String what, int errno) {
        super(what + ": " + LibC.strerror(errno));
        this.errno = errno;
    }

    public BpfException(String message) {
        super(message);
        this.errno = 0;
    }

    /** The positive errno, or 0 when the failure did not come with one. */
    public int errno() {
        return errno;
    }

    /** Throws for a libbpf-style result: a negative value is -errno. */
    static int check(int result, String what) {
        if (result < 0) {
            throw new BpfException(what, -result);
        }
        return result;
    }
}
