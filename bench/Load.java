import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The soak's load: for SECONDS seconds, a steady RATE connects/s from one thread, and every
 * STORM_EVERY seconds (0: back to back) a storm of STORM_CONNECTS connects from 2 threads, all
 * to a local acceptor on HOST. Clients close with SO_LINGER 0 (RST): no TIME_WAIT.
 * Prints "port P" at start and "connects N failed F" at the end.
 * Run: java bench/Load.java SECONDS RATE STORM_EVERY STORM_CONNECTS HOST
 */
public class Load {
    static final AtomicLong done = new AtomicLong();
    static final AtomicLong failed = new AtomicLong();
    static InetSocketAddress target;

    public static void main(String[] args) throws Exception {
        long seconds = Long.parseLong(args[0]);
        int rate = Integer.parseInt(args[1]);
        long stormEvery = Long.parseLong(args[2]);
        int stormConnects = Integer.parseInt(args[3]);
        InetAddress host = InetAddress.getByName(args[4]);
        ServerSocket server = Acceptor.start(host);
        target = new InetSocketAddress(host, server.getLocalPort());
        System.out.println("port " + server.getLocalPort());
        System.out.flush();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        Thread steady = Thread.ofPlatform().start(() -> {
            long next = System.nanoTime();
            while (rate > 0 && next < end) {
                connect();
                next += 1_000_000_000L / rate;
                long sleep = next - System.nanoTime();
                if (sleep > 0) {
                    try {
                        Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        });
        long nextStorm = System.nanoTime() + (stormEvery == 0 ? 0 : stormEvery * 1_000_000_000L);
        while (stormConnects > 0 && nextStorm < end) {
            Thread.sleep(Math.max(0, (nextStorm - System.nanoTime()) / 1_000_000));
            Thread[] clients = new Thread[2];
            for (int t = 0; t < 2; t++) {
                clients[t] = Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < stormConnects / 2; i++) {
                        connect();
                    }
                });
            }
            for (Thread c : clients) {
                c.join();
            }
            nextStorm = stormEvery == 0 ? System.nanoTime() : nextStorm + stormEvery * 1_000_000_000L;
        }
        steady.join();
        System.out.println("connects " + done.get() + " failed " + failed.get());
    }

    static void connect() {
        try (Socket s = new Socket()) {
            s.setSoLinger(true, 0);
            s.connect(target);
            done.incrementAndGet();
        } catch (Exception e) {
            failed.incrementAndGet();
        }
    }
}
