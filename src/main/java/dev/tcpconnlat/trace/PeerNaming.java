package dev.tcpconnlat.trace;

import dev.tcpconnlat.bpf.BpfMap;
import dev.tcpconnlat.dns.DnsAnswers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The peer label's user-space half: writes {@code address -> name id} into the kernel's peers
 * map from the DNS answers the engine reads, and names the keys the kernel made by address (an
 * address the map does not have: never answered, let go by its LRU, or taken out by the kernel
 * as a new answer for it went by, until that answer is read here).
 */
final class PeerNaming {
    /** Addresses remembered in user space, named (twice what the kernel's LRU holds) and unnamed: ~3 MB at most. */
    private static final int REMEMBERED = 32_768;
    private static final List<byte[]> LOOPBACK = List.of(MappedAddress.of(Peers.literal("127.0.0.1")),
            MappedAddress.of(Peers.literal("::1")));

    private final Peers peers;
    private final BpfMap map;
    private final MemorySegment key;
    private final MemorySegment id;
    /** Addresses seen unnamed in keys, and when first (System.nanoTime). */
    private final Map<Address, Long> unnamedSince = lru();
    /** Until an answer names them, 127.0.0.1 and ::1 are localhost. */
    private final List<Address> loopback = LOOPBACK.stream().map(Address::of).toList();
    /**
     * The name id each answered address got, most recently used last: when the kernel's LRU has
     * let an address go (a host that talks to more than 16,384 addresses), its next connect is
     * keyed by the address, and named from here, not called unknown.
     */
    private final Map<Address, Integer> answered = lru();
    /** Every record committed to the ring before this time (System.nanoTime) has been handed over. */
    private long drainedFrom = System.nanoTime();
    /** The engine stopped reading the ring: whatever it had has been handed over, so every key can be named. */
    private boolean settled;
    private boolean closed;

    /** {@code arena}: the tracer's, for scratch segments made once. 127.0.0.1 and ::1 start as localhost. */
    PeerNaming(Peers peers, BpfMap map, Arena arena) {
        this.peers = peers;
        this.map = map;
        this.key = arena.allocate(Peers.KEY_LAYOUT);
        this.id = arena.allocate(ValueLayout.JAVA_INT);
        for (byte[] loopback : LOOPBACK) {
            write(loopback, Peers.LOCALHOST_ID);
        }
    }

    /** A DNS response read from the ring: each of its A/AAAA addresses is its name's from now on. */
    synchronized void learn(ByteBuffer payload, int wireLength) {
        if (closed) {
            return;
        }
        for (DnsAnswers.Answer a : peers.answers(payload, wireLength)) {
            byte[] mapped = MappedAddress.of(a.bytes());
            int peer = peers.id(a.name());
            answered.put(Address.of(mapped), peer);
            write(mapped, peer);
        }
    }

    /** A drain of the ring that started at {@code from} (System.nanoTime) is done. */
    synchronized void drained(long from) {
        drainedFrom = from;
    }

    /** The last drain is done (the engine's loop ended): from now on every key by address is named at once. */
    synchronized void settled() {
        settled = true;
    }

    /**
     * The name of the id a key was made with. A key made by address (id 0) gets the name the map
     * has for the address now; if it has none, its answer may still be waiting in the ring, so
     * the name is null (not known yet) until a drain that started after the key was first seen.
     * Then it is the name the address last got from an answer (the kernel's LRU may have let it
     * go), localhost for 127.0.0.1 and ::1, else {@link Peers#UNKNOWN}; written in the map, so
     * that the kernel keys the next connects there by it.
     */
    synchronized String name(int peer, byte[] address) {
        if (peer != 0) {
            return peers.name(peer);
        }
        if (closed) {
            return null;
        }
        byte[] mapped = MappedAddress.of(address);
        MemorySegment.copy(mapped, 0, key, ValueLayout.JAVA_BYTE, 0, 16);
        if (map.lookup(key, id)) {
            return peers.name(id.get(ValueLayout.JAVA_INT, 0));
        }
        Address unnamed = Address.of(mapped);
        Long seen = unnamedSince.get(unnamed);
        if (!settled && seen == null) {
            unnamedSince.put(unnamed, System.nanoTime());
            return null;
        }
        if (!settled && drainedFrom - seen <= 0) {
            return null;
        }
        unnamedSince.remove(unnamed);
        Integer known = answered.get(unnamed);
        int named = known != null ? known : loopback.contains(unnamed) ? Peers.LOCALHOST_ID : Peers.UNKNOWN_ID;
        write(mapped, named);
        return peers.name(named);
    }

    /** No map is written after this (the tracer is closing them). */
    synchronized void close() {
        closed = true;
    }

    /** A map of at most {@link #REMEMBERED} entries that lets the least recently used go. */
    private static <V> Map<Address, V> lru() {
        return new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Address, V> eldest) {
                return size() > REMEMBERED;
            }
        };
    }

    /** 16 bytes of an address as two numbers: a small key. */
    private record Address(long high, long low) {
        static Address of(byte[] mapped) {
            ByteBuffer b = ByteBuffer.wrap(mapped);
            return new Address(b.getLong(), b.getLong());
        }
    }

    private void write(byte[] mappedAddress, int peer) {
        MemorySegment.copy(mappedAddress, 0, key, ValueLayout.JAVA_BYTE, 0, 16);
        id.set(ValueLayout.JAVA_INT, 0, peer);
        map.update(key, id, BpfMap.BPF_ANY);
    }
}
