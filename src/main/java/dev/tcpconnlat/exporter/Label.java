package dev.tcpconnlat.exporter;

import dev.tcpconnlat.trace.TraceConfig;
import java.util.Locale;

/** The labels --labels selects, besides result and family which are always there; in the order they are written. */
public enum Label {
    UNIT(TraceConfig.By.CGROUP),
    CGROUP(TraceConfig.By.CGROUP),
    CONTAINER_ID(TraceConfig.By.CGROUP),
    POD_UID(TraceConfig.By.CGROUP),
    COMM(TraceConfig.By.COMM),
    DADDR(TraceConfig.By.DADDR),
    DPORT(TraceConfig.By.DPORT);

    private final TraceConfig.By keyPart;

    Label(TraceConfig.By keyPart) {
        this.keyPart = keyPart;
    }

    /** What of a connect the kernel must keep in the histogram key for this label. */
    public TraceConfig.By keyPart() {
        return keyPart;
    }

    /** The label's name: unit, cgroup, container_id, ... */
    public String labelName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The label of this exact name, or null. */
    public static Label named(String name) {
        for (Label l : values()) {
            if (l.labelName().equals(name)) {
                return l;
            }
        }
        return null;
    }
}
