// Refused connects to N closed loopback ports (30000 and up): N distinct series with --labels dport.
// Run by bench/exporter and bench/otlp:  java bench/Refused.java N
import java.net.InetSocketAddress;
import java.net.Socket;
public class Refused {
    public static void main(String[] a) throws Exception {
        int n = Integer.parseInt(a[0]);
        int done = 0;
        for (int p = 30000; done < n && p < 65536; p++) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", p), 1000);
            } catch (Exception e) {
                done++;
            }
        }
        System.out.println("refused " + done);
    }
}
