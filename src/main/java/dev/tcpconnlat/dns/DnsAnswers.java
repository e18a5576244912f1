package dev.tcpconnlat.dns;

import dev.tcpconnlat.decode.Addresses;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/** The A and AAAA answers of a DNS response, parsed by dnsjava. */
public final class DnsAnswers {
    /** One answered address (as inet_ntop writes it, and its 4 or 16 bytes) and the name that was asked for. */
    public record Answer(String address, String name, byte[] bytes) {}

    /** A response the kernel copied only the start of: longer on the wire than the copy. */
    public static final class TooLong extends IOException {
        TooLong(int wireLength, int copied) {
            super("a response of " + wireLength + " bytes, " + copied + " of them copied");
        }
    }

    private DnsAnswers() {}

    /**
     * The answers of a response as the kernel copied it ({@code wireLength}: its length on the
     * wire): {@link TooLong} when the copy is cut short, IOException when it does not parse.
     */
    public static List<Answer> read(ByteBuffer payload, int wireLength) throws IOException {
        if (wireLength > payload.remaining()) {
            throw new TooLong(wireLength, payload.remaining());
        }
        byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        return parse(bytes);
    }

    /**
     * Parses a response's UDP payload. Like bcc: only responses to exactly one question, and
     * only their A and AAAA records. Throws IOException for anything malformed or truncated.
     */
    public static List<Answer> parse(byte[] payload) throws IOException {
        Message m;
        try {
            m = new Message(payload);
        } catch (IOException e) {
            throw e;
        } catch (RuntimeException e) {
            // dnsjava reports some malformed input as unchecked exceptions
            throw new IOException("malformed DNS message: " + e, e);
        }
        List<Answer> answers = new ArrayList<>();
        if (!m.getHeader().getFlag(Flags.QR) || m.getHeader().getCount(Section.QUESTION) != 1
                || m.getQuestion() == null) {
            return answers;
        }
        String name = m.getQuestion().getName().toString(true);
        for (Record r : m.getSection(Section.ANSWER)) {
            InetAddress address = switch (r) {
                case ARecord a -> a.getAddress();
                case AAAARecord a -> a.getAddress();
                default -> null;
            };
            if (address != null) {
                answers.add(new Answer(Addresses.of(address.getAddress()), name, address.getAddress()));
            }
        }
        return answers;
    }
}
