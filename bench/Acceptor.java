import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * The benchmarks' server (Storm.java, Load.java; found by the JDK's multi-file source launcher):
 * accepts and closes every connection, on a daemon thread, with a backlog of 4096.
 */
final class Acceptor {
    private Acceptor() {}

    static ServerSocket start(InetAddress host) throws IOException {
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress(host, 0), 4096);
        Thread.ofPlatform().daemon().start(() -> {
            while (true) {
                try {
                    server.accept().close();
                } catch (Exception e) {
                    return;
                }
            }
        });
        return server;
    }
}
