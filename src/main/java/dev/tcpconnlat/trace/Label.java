package dev.tcpconnlat.trace;

import static dev.tcpconnlat.decode.HistKeyLayout.*;

import dev.tcpconnlat.cgroup.CgroupLabels;
import dev.tcpconnlat.cgroup.CgroupNames;
import dev.tcpconnlat.event.HistogramKey;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * A label of a connect: its name, what it means, which part of the kernel's histogram key it
 * needs ({@code enum hist_by}, as {@link dev.tcpconnlat.decode.HistKeyLayout} has it), where it is offered, and how its value is read from a key and
 * the cgroup's names. The exporter's --labels, tcpconnlat -H --by, the JSON lines' cgroup fields
 * and their help texts are all made from this list. A new label is one line here (and, if it
 * comes from the cgroup, a field of {@link CgroupLabels}).
 */
public enum Label {
    RESULT(Use.ALWAYS, 0, k -> k.result().name().toLowerCase(Locale.ROOT), null,
            "how it ended: ok, refused, timedout, unreach, aborted or error"),
    FAMILY(Use.ALWAYS, BY_FAMILY, k -> k.ipVersion() == 4 ? "ipv4" : "ipv6", null, "ipv4 or ipv6"),
    UNIT(Use.EVERYWHERE, BY_CGROUP, null, CgroupLabels::unit,
            "the systemd unit (service or scope) of the connecting process's cgroup"),
    CGROUP(Use.LABELS, BY_CGROUP, null, CgroupLabels::path, "the cgroup v2 path"),
    CONTAINER_ID(Use.LABELS_AND_JSON, BY_CGROUP, null, CgroupLabels::containerId,
            "the container's id (docker, containerd, cri-o, podman)"),
    POD_UID(Use.LABELS_AND_JSON, BY_CGROUP, null, CgroupLabels::podUid, "the Kubernetes pod's uid"),
    NAMESPACE(Use.LABELS_AND_JSON, BY_CGROUP, null, CgroupLabels::namespace,
            "the Kubernetes pod's namespace (from the kubelet's log directories)"),
    POD(Use.LABELS_AND_JSON, BY_CGROUP, null, CgroupLabels::pod, "the Kubernetes pod's name"),
    CONTAINER(Use.LABELS_AND_JSON, BY_CGROUP, null, CgroupLabels::container,
            "the Kubernetes container's name"),
    COMM(Use.LABELS_AND_BY, BY_COMM, HistogramKey::comm, null, "the process name"),
    DADDR(Use.LABELS_AND_BY, BY_DADDR, HistogramKey::daddr, null, "the destination address"),
    DPORT(Use.LABELS_AND_BY, BY_DPORT, k -> Integer.toString(k.dport()), null, "the destination port"),
    PEER(Use.LABELS_AND_BY, BY_PEER, k -> k.peer() == null ? Peers.UNKNOWN : k.peer(), null,
            "the DNS name whose answer held the destination address (localhost; unknown: no answer"
            + " named it; other: past --peers.max names)"),
    RETRANSMITS(Use.BY, BY_RETRANS, k -> k.synRetransmits() >= 3 ? "3+" : Integer.toString(k.synRetransmits()),
            null, "SYNs retransmitted: 0, 1, 2, 3+");

    /** Where a label is offered. */
    private enum Use {
        /** always on the exporter's series */
        ALWAYS(false, false, false),
        /** --labels, --by and JSON */
        EVERYWHERE(true, true, true),
        LABELS(true, false, false),
        LABELS_AND_JSON(true, false, true),
        LABELS_AND_BY(true, true, false),
        BY(false, true, false);

        final boolean labels;
        final boolean by;
        final boolean json;

        Use(boolean labels, boolean by, boolean json) {
            this.labels = labels;
            this.by = by;
            this.json = json;
        }
    }

    private final Use use;
    private final int keyBits;
    private final Function<HistogramKey, String> fromKey;
    private final Function<CgroupLabels, String> fromCgroup;
    private final String help;

    Label(Use use, int keyBits, Function<HistogramKey, String> fromKey, Function<CgroupLabels, String> fromCgroup,
            String help) {
        this.use = use;
        this.keyBits = keyBits;
        this.fromKey = fromKey;
        this.fromCgroup = fromCgroup;
        this.help = help;
    }

    /** unit, container_id, ...: the name in --labels, --by, JSON and the exporter's series. */
    public String labelName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String help() {
        return help;
    }

    /** The bits of enum hist_by the kernel must key histograms by for this label. */
    int keyBits() {
        return keyBits;
    }

    /** Whether the value comes from the connecting process's cgroup. */
    public boolean fromCgroup() {
        return fromCgroup != null;
    }

    /** The value for a histogram key; {@code cgroups} names its cgroup (needed when {@link #fromCgroup}). */
    public String value(HistogramKey key, CgroupNames cgroups) {
        return fromCgroup != null ? value(cgroups.labels(key.cgroupId())) : fromKey.apply(key);
    }

    /** The value of a cgroup label ("" for none) from the cgroup's labels. */
    public String value(CgroupLabels cgroup) {
        return fromCgroup.apply(cgroup);
    }

    /** The labels every exporter series has, in order. */
    public static final List<Label> ALWAYS = List.of(RESULT, FAMILY);
    /** The cgroup labels the JSON lines carry, in order. */
    public static final List<Label> JSON = of(l -> l.use.json);
    /** The labels the exporter's --labels offers, in order. */
    public static final List<Label> SELECTABLE = of(l -> l.use.labels);
    /** The labels named from the kubelet's log directories (--kubelet.log-dir). */
    public static final List<Label> KUBERNETES = List.of(NAMESPACE, POD, CONTAINER);
    /** The labels tcpconnlat -H --by offers, in order. */
    public static final List<Label> BY = of(l -> l.use.by);

    private static List<Label> of(java.util.function.Predicate<Label> p) {
        return java.util.Arrays.stream(values()).filter(p).toList();
    }

    /** "unit, cgroup, ... or dport": for help texts and errors. */
    public static String names(List<Label> labels) {
        List<String> names = labels.stream().map(Label::labelName).toList();
        return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.getLast();
    }

    /** The label of exactly this name among {@code offered}; an IllegalArgumentException naming them otherwise. */
    public static Label parse(String name, List<Label> offered) {
        for (Label l : offered) {
            if (l.labelName().equals(name)) {
                return l;
            }
        }
        throw new IllegalArgumentException("takes " + names(offered) + ", not '" + name + "'");
    }

    /**
     * Comma-separated names, exactly as written (lowercase, no spaces), each once, from
     * {@code offered}; "" is none. In this enum's order (the order of the exporter's labels
     * does not depend on how they were written). Errors as IllegalArgumentException.
     */
    public static List<Label> parseList(String text, List<Label> offered) {
        if (text.isEmpty()) {
            return List.of();
        }
        Set<Label> seen = EnumSet.noneOf(Label.class);
        for (String name : text.split(",", -1)) {
            Label l;
            try {
                l = parse(name, offered);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("takes " + names(offered) + ", comma-separated, not '" + name + "'");
            }
            if (!seen.add(l)) {
                throw new IllegalArgumentException(name + " is given twice");
            }
        }
        return List.copyOf(seen);
    }
}
