package dev.tcpconnlat;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/** What a test needs from the machine (root, a program): skipped loudly without it, but a failure under CI=true. */
public final class Prerequisite {
    private Prerequisite() {}

    public static void require(boolean met, String why) {
        if (met) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            fail(why + " -- CI=true, so this is a failure");
        }
        System.err.println("SKIPPED: " + why);
        Assumptions.abort(why);
    }
}
