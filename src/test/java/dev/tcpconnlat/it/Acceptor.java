package dev.tcpconnlat.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

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

    int port() {
        return server.getLocalPort();
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

    /** A storm: {@code threads} threads of {@code each} connects at once; returns how many were answered. */
    int storm(int threads, int each) throws InterruptedException {
        AtomicInteger made = new AtomicInteger();
        List<Thread> clients = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            clients.add(Thread.ofPlatform().start(() -> made.addAndGet(connects(each))));
        }
        for (Thread c : clients) {
            c.join();
        }
        return made.get();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
