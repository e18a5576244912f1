package dev.tcpconnlat.trace;

/**
 * An address as the kernel's cidrs and peers maps key it ({@code daddr_mapped} in
 * src/main/bpf/tcpconn.bpf.c): 16 bytes, IPv4 ones v4-mapped (::ffff:a.b.c.d), so that the
 * v4-mapped destination of an IPv6 socket finds the same entry as the IPv4 one.
 */
final class MappedAddress {
    private MappedAddress() {}

    /** The 16 bytes of a 4- or 16-byte address (a new array for a 4-byte one, the same one else). */
    static byte[] of(byte[] address) {
        if (address.length == 16) {
            return address;
        }
        byte[] a = new byte[16];
        a[10] = (byte) 0xff;
        a[11] = (byte) 0xff;
        System.arraycopy(address, 0, a, 12, 4);
        return a;
    }
}
