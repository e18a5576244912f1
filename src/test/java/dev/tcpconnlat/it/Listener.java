package dev.tcpconnlat.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** A TCP port that answers SYNs (the kernel completes handshakes into the backlog; nothing is accepted). */
final class Listener implements AutoCloseable {
    private final ServerSocket socket;

    Listener(String host) {
        try {
            socket = new ServerSocket();
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), 0), 200);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    int port() {
        return socket.getLocalPort();
    }

    /** A port on this host that nobody listens on (connects to it are refused). */
    static int closedPort(String host) {
        try (Listener l = new Listener(host)) {
            return l.port();
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
