package dev.tcpconnlat.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** A TCP server that accepts and closes every connection, so that storms never fill its backlog. */
final class Acceptor implements AutoCloseable {
    private final ServerSocket server;

    Acceptor(String host) throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByName(host), 0), 4096);
        Thread.ofPlatform().daemon().start(() -> {
            while (!server.isClosed()) {
                try {
                    server.accept().close();
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    /** {@code n} connects from this process, each closed with a RST (no TIME_WAIT); returns how many were answered. */
    int connects(int n) {
        int made = 0;
        for (int i = 0; i < n; i++) {
            try (Socket s = new Socket()) {
                s.setSoLinger(true, 0);
                s.connect(server.getLocalSocketAddress(), 5000);
                made++;
            } catch (IOException e) {
                // not answered: not counted
            }
        }
        return made;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
