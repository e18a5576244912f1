package dev.tcpconnlat.output;

/** bcc's TIME(s): microseconds since the first event printed. */
final class FirstEventClock {
    private long startUs = -1;

    long sinceFirstUs(long timestampNs) {
        long us = timestampNs / 1000;
        if (startUs < 0) {
            startUs = us;
        }
        return us - startUs;
    }
}
