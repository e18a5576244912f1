import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback connect storm: N connects from T client threads to a local acceptor, as fast as
 * the box allows. Prints "port P", waits for a line on stdin, storms, then prints
 * "connects N seconds S rate R". Clients close with SO_LINGER 0 (RST), so no TIME_WAIT
 * exhausts the ephemeral ports. Run: java bench/Storm.java CONNECTS THREADS HOST GO
 */
public class Storm {
    public static void main(String[] args) throws Exception {
        int connects = Integer.parseInt(args[0]);
        int threads = Integer.parseInt(args[1]);
        InetAddress host = InetAddress.getByName(args[2]);
        ServerSocket server = Acceptor.start(host);
        System.out.println("port " + server.getLocalPort());
        System.out.flush();
        java.nio.file.Path go = java.nio.file.Path.of(args[3]);
        while (!java.nio.file.Files.exists(go)) {
            Thread.sleep(5);
        }

        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        Thread[] clients = new Thread[threads];
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            int share = connects / threads + (t < connects % threads ? 1 : 0);
            clients[t] = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < share; i++) {
                    try (Socket s = new Socket()) {
                        s.setSoLinger(true, 0);
                        s.connect(new InetSocketAddress(host, server.getLocalPort()));
                        done.incrementAndGet();
                    } catch (Exception e) {
                        failed.incrementAndGet();
                    }
                }
            });
        }
        for (Thread c : clients) {
            c.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("connects %d failed %d seconds %.3f rate %.0f%n",
                done.get(), failed.get(), seconds, done.get() / seconds);
    }
}
