package dev.tcpconnlat.decode;

import static dev.tcpconnlat.decode.EventLayout.*;

import dev.tcpconnlat.bpf.LibC;
import dev.tcpconnlat.event.ConnectEvent;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/** Test helper: writes a {@link ConnectEvent} as the kernel's {@code struct event}. */
public final class EncodedEvent {
    private EncodedEvent() {}

    public static MemorySegment of(ConnectEvent e, Arena arena) {
        MemorySegment s = arena.allocate(LAYOUT);
        int kind = switch (e.result()) {
            case PENDING -> EVENT_ATTEMPT;
            case OK, REFUSED -> EVENT_ANSWERED;
            default -> EVENT_FAILED;
        };
        s.set(ValueLayout.JAVA_INT, KIND, kind);
        s.set(ValueLayout.JAVA_INT, ERR, e.errno());
        s.set(ValueLayout.JAVA_LONG, TS_NS, e.timestampNs());
        s.set(ValueLayout.JAVA_LONG, LATENCY_NS, e.latencyNs());
        s.set(ValueLayout.JAVA_LONG, CGROUP_ID, e.cgroupId());
        s.set(ValueLayout.JAVA_INT, PID, e.pid());
        s.set(ValueLayout.JAVA_INT, TID, e.tid());
        s.set(ValueLayout.JAVA_INT, UID, e.uid());
        s.set(ValueLayout.JAVA_SHORT, FAMILY, (short) (e.ipVersion() == 4 ? LibC.AF_INET : LibC.AF_INET6));
        s.set(ValueLayout.JAVA_SHORT, LPORT, (short) e.lport());
        s.set(ValueLayout.JAVA_SHORT, DPORT, (short) e.dport());
        s.set(ValueLayout.JAVA_SHORT, RESULT, (short) e.result().ordinal());
        s.set(ValueLayout.JAVA_SHORT, RETRANS, (short) e.synRetransmits());
        MemorySegment.copy(address(e.saddr(), e.ipVersion()), 0, s, ValueLayout.JAVA_BYTE, SADDR, 16);
        MemorySegment.copy(address(e.daddr(), e.ipVersion()), 0, s, ValueLayout.JAVA_BYTE, DADDR, 16);
        byte[] comm = e.comm().getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(comm, 0, s, ValueLayout.JAVA_BYTE, COMM, Math.min(comm.length, COMM_LEN - 1));
        return s;
    }

    private static byte[] address(String text, int ipVersion) {
        try {
            byte[] a = InetAddress.getByName(text).getAddress();
            byte[] out = new byte[16];
            if (ipVersion == 6 && a.length == 4) { // Java turns ::ffff:a.b.c.d into an IPv4 address
                out[10] = (byte) 0xff;
                out[11] = (byte) 0xff;
                System.arraycopy(a, 0, out, 12, 4);
            } else {
                System.arraycopy(a, 0, out, 0, a.length);
            }
            return out;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(text, e);
        }
    }
}
