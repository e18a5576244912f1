package dev.tcpconnlat.bpf;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The reader against a ring laid out as the kernel lays it out (kernel/bpf/ringbuf.c), in
 * memory: the data area is written twice, as the kernel's double mapping shows it.
 */
class RingReaderTest {
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    /** A handler that adds each record's payload, as text, to {@code got}. */
    static RingReader.Handler collectInto(List<String> got) {
        return (d, offset, length) -> got.add(new String(d.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE)));
    }

    /** A ring of {@code size} bytes and its producer side. */
    final class FakeRing {
        final long size;
        final MemorySegment consumer = arena.allocate(8, 8);
        final MemorySegment producer = arena.allocate(8, 8);
        final MemorySegment data;
        final RingReader reader;
        long prod;

        FakeRing(long size, long start) {
            this.size = size;
            data = arena.allocate(2 * size, 8);
            consumer.set(ValueLayout.JAVA_LONG, 0, start);
            producer.set(ValueLayout.JAVA_LONG, 0, start);
            prod = start;
            reader = new RingReader(consumer, producer, data);
        }

        /** Reserves and fills a record of {@code payload} with the given header flags; returns its position. */
        long write(String payload, int flags) {
            byte[] bytes = payload.getBytes();
            long at = prod;
            put(at, (bytes.length | flags), 0);
            for (int i = 0; i < bytes.length; i++) {
                putByte(at + RingReader.HEADER + i, bytes[i]);
            }
            prod += (bytes.length + RingReader.HEADER + 7) & ~7L;
            producer.set(ValueLayout.JAVA_LONG, 0, prod);
            return at;
        }

        void commit(long at, int flags) {
            int len = readInt(at) & ~(RingReader.BUSY | RingReader.DISCARD);
            put(at, len | flags, 0);
        }

        private int readInt(long pos) {
            return data.get(ValueLayout.JAVA_INT, pos % size);
        }

        private void put(long pos, int header, int pgOff) {
            for (int i = 0; i < 4; i++) {
                putByte(pos + i, (byte) (header >>> (8 * i)));
                putByte(pos + 4 + i, (byte) (pgOff >>> (8 * i)));
            }
        }

        private void putByte(long pos, byte b) {
            long phys = pos % size;
            data.set(ValueLayout.JAVA_BYTE, phys, b);
            data.set(ValueLayout.JAVA_BYTE, phys + size, b);
        }

        List<String> read() throws Exception {
            List<String> got = new ArrayList<>();
            RingReader.Handler handler = collectInto(got);
            while (reader.read(handler) > 0) {
                // as RingBuffer.consume: until nothing more is committed
            }
            return got;
        }

        long consumerPos() {
            return consumer.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    @Test
    void recordsThatWrapAroundTheEndAreReadWhole() throws Exception {
        FakeRing ring = new FakeRing(64, 40); // the first record starts 24 bytes before the end
        ring.write("0123456789abcdefghij", 0); // 8 + 20 bytes: crosses the end
        ring.write("after", 0);
        assertThat(ring.read()).containsExactly("0123456789abcdefghij", "after");
        assertThat(ring.consumerPos()).isEqualTo(ring.prod);
    }

    @Test
    void discardedRecordsAreSkipped() throws Exception {
        FakeRing ring = new FakeRing(4096, 0);
        ring.write("kept", 0);
        ring.write("dropped", RingReader.DISCARD);
        ring.write("kept too", 0);
        assertThat(ring.read()).containsExactly("kept", "kept too");
        assertThat(ring.consumerPos()).isEqualTo(ring.prod);
    }

    @Test
    void aBusyRecordEndsTheBatchAndIsReadOnceCommitted() throws Exception {
        FakeRing ring = new FakeRing(4096, 0);
        ring.write("first", 0);
        long busy = ring.write("second", RingReader.BUSY);
        ring.write("third", 0);
        assertThat(ring.read()).containsExactly("first");
        assertThat(ring.consumerPos()).isEqualTo(busy);
        assertThat(ring.read()).isEmpty();
        ring.commit(busy, 0);
        assertThat(ring.read()).containsExactly("second", "third");
        assertThat(ring.consumerPos()).isEqualTo(ring.prod);
    }

    @Test
    void aConsumerBehindByMostOfTheRingReadsEverythingInOrder() throws Exception {
        long size = 4096;
        FakeRing ring = new FakeRing(size, 7 * size + 200); // positions only grow: many laps done
        List<String> written = new ArrayList<>();
        for (int i = 0; ring.prod + 120 - ring.consumerPos() < size; i++) {
            String r = String.format("record %04d %s", i, "x".repeat(i % 80));
            ring.write(r, 0);
            written.add(r);
        }
        assertThat(ring.prod - ring.consumerPos()).isGreaterThan(size * 9 / 10);
        assertThat(ring.read()).containsExactlyElementsOf(written);
        assertThat(ring.consumerPos()).isEqualTo(ring.prod);
    }

    @Test
    void oneCallReadsAtMostMaxRecordsAndPublishesWhatItRead() throws Exception {
        FakeRing ring = new FakeRing(1 << 16, 0);
        long[] positions = new long[RingReader.MAX_RECORDS + 2];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = ring.write("r" + i, i == 3 ? RingReader.DISCARD : 0);
        }
        List<String> got = new ArrayList<>();
        RingReader.Handler handler = collectInto(got);
        assertThat(ring.reader.read(handler)).isEqualTo(RingReader.MAX_RECORDS); // a discarded record counts as read
        assertThat(got).hasSize(RingReader.MAX_RECORDS - 1);
        assertThat(ring.consumerPos()).isEqualTo(positions[RingReader.MAX_RECORDS]);
        assertThat(ring.reader.read(handler)).isEqualTo(2);
        assertThat(ring.reader.read(handler)).isZero();
        assertThat(got).hasSize(RingReader.MAX_RECORDS + 1).endsWith("r" + (RingReader.MAX_RECORDS + 1));
        assertThat(ring.consumerPos()).isEqualTo(ring.prod);
    }
}
