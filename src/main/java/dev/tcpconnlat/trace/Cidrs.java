package dev.tcpconnlat.trace;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Destination groups (--cidrs): named prefixes; a destination is the name of its longest
 * matching prefix, or {@link #OTHER}. Written {@code 10.0.0.0/8=internal,192.168.0.0/16=lan,
 * fd00::/8=internal}; IPv4 prefixes also match v4-mapped IPv6 destinations. The kernel keeps
 * them in an LPM trie, IPv4 ones v4-mapped, and keys histograms by the group's number.
 */
public final class Cidrs {
    /** The daddr of a destination no prefix matches. */
    public static final String OTHER = "other";
    public static final int MAX = 4096;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");
    private static final Pattern LITERAL = Pattern.compile("[0-9A-Fa-f.:]+");

    /** struct cidr_key (src/main/bpf/tcpconn.h): __u32 prefixlen; __u8 addr[16]. */
    static final java.lang.foreign.StructLayout KEY_LAYOUT = java.lang.foreign.MemoryLayout.structLayout(
            java.lang.foreign.ValueLayout.JAVA_INT.withName("prefixlen"),
            java.lang.foreign.MemoryLayout.sequenceLayout(16, java.lang.foreign.ValueLayout.JAVA_BYTE).withName("addr"));

    /** A prefix as the kernel keys it: 16 bytes (IPv4 v4-mapped), its length in bits of those, its group (1, 2, ...). */
    record Prefix(byte[] address, int bits, int group) {}

    private final List<Prefix> prefixes;
    private final List<String> names;

    private Cidrs(List<Prefix> prefixes, List<String> names) {
        this.prefixes = prefixes;
        this.names = names;
    }

    List<Prefix> prefixes() {
        return prefixes;
    }

    /** The name of group {@code n} (1, 2, ...), or {@link #OTHER} for 0. */
    public String name(int n) {
        return n <= 0 || n > names.size() ? OTHER : names.get(n - 1);
    }

    /**
     * PREFIX/BITS=NAME, separated by commas or lines ('#' starts a comment line), or {@code @FILE}
     * for a file of them; several prefixes may share a name. IllegalArgumentException: one line.
     */
    public static Cidrs read(String spec) {
        if (!spec.startsWith("@")) {
            return parse(spec);
        }
        try {
            return parse(java.nio.file.Files.readString(java.nio.file.Path.of(spec.substring(1))));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read " + spec.substring(1) + ": "
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
        }
    }

    /** The address with its bits past {@code bits} cleared. */
    private static byte[] network(byte[] raw, int bits) {
        byte[] n = raw.clone();
        for (int i = bits; i < n.length * 8; i++) {
            n[i / 8] &= (byte) ~(0x80 >> (i % 8));
        }
        return n;
    }

    private static String text(byte[] address) {
        try {
            return InetAddress.getByAddress(address).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * PREFIX=NAME,...; several prefixes may share a name, a prefix is given once, with no host
     * bits set. IllegalArgumentException: one line.
     */
    public static Cidrs parse(String text) {
        List<Prefix> prefixes = new ArrayList<>();
        Map<String, Integer> groups = new LinkedHashMap<>();
        for (String item : text.split("[,\\n]")) {
            String entry = item.strip();
            if (entry.isEmpty() || entry.startsWith("#")) {
                continue;
            }
            int eq = entry.indexOf('=');
            int slash = entry.indexOf('/');
            if (eq < 0 || slash < 0 || slash > eq) {
                throw new IllegalArgumentException("takes PREFIX/BITS=NAME, e.g. 10.0.0.0/8=internal, not '" + entry + "'");
            }
            String name = entry.substring(eq + 1).strip();
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("a group name is 1-64 letters, digits, '_', '.', ':' or '-', not '"
                        + name + "'");
            }
            String literal = entry.substring(0, slash).strip();
            byte[] raw;
            try {
                if (!LITERAL.matcher(literal).matches()) {
                    throw new UnknownHostException();
                }
                raw = InetAddress.getByName(literal).getAddress(); // a literal: no look-up
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("'" + literal + "' is not an IPv4 or IPv6 address");
            }
            int max = raw.length * 8;
            int bits;
            try {
                bits = Integer.parseInt(entry.substring(slash + 1, eq).strip());
            } catch (NumberFormatException e) {
                bits = -1;
            }
            if (bits < 0 || bits > max) {
                throw new IllegalArgumentException("the prefix length of " + literal + " is 0 to " + max + ", not '"
                        + entry.substring(slash + 1, eq).strip() + "'");
            }
            byte[] network = network(raw, bits);
            if (!java.util.Arrays.equals(network, raw)) { // a host bit set is a typo (10.1.2.3/8): refused
                throw new IllegalArgumentException(literal + "/" + bits + " has host bits set: the prefix is "
                        + text(network) + "/" + bits);
            }
            byte[] address = MappedAddress.of(raw);
            int prefixBits = bits + (raw.length == 4 ? 96 : 0); // IPv4: the prefix of ::ffff:a.b.c.d
            for (Prefix p : prefixes) {
                if (p.bits() == prefixBits && java.util.Arrays.equals(p.address(), address)) {
                    throw new IllegalArgumentException(literal + "/" + bits + " is given twice");
                }
            }
            int group = groups.computeIfAbsent(name, n -> groups.size() + 1);
            prefixes.add(new Prefix(address, prefixBits, group));
        }
        if (prefixes.isEmpty()) {
            throw new IllegalArgumentException("takes at least one PREFIX/BITS=NAME");
        }
        if (prefixes.size() > MAX) {
            throw new IllegalArgumentException("takes at most " + MAX + " prefixes, not " + prefixes.size());
        }
        return new Cidrs(List.copyOf(prefixes), List.copyOf(groups.keySet()));
    }
}
