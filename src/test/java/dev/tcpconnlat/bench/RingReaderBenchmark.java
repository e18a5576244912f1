package dev.tcpconnlat.bench;

import dev.tcpconnlat.decode.RecordView;
import dev.tcpconnlat.bpf.RingReader;
import dev.tcpconnlat.event.ConnectEvent;
import dev.tcpconnlat.decode.EncodedEvent;
import dev.tcpconnlat.decode.EventLayout;
import dev.tcpconnlat.event.EventView;
import dev.tcpconnlat.event.Result;
import dev.tcpconnlat.output.Output;
import dev.tcpconnlat.output.TextTable;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The ring buffer's consumer side, per record (run by bench/jmh). A ring laid out as the kernel
 * lays it out (kernel/bpf/ringbuf.c) holds a batch of {@value #RECORDS} committed
 * {@code struct event} records; each invocation rewinds the consumer position and reads the
 * batch:
 * <ul>
 * <li>{@code javaReader}: {@link RingReader} alone, the records read in place;
 * <li>{@code javaReaderAndText}: the same, each record decoded and formatted as the default
 *     text line (the tool's whole per-record user-space work but the write(2) per batch);
 * <li>{@code ffmUpcall} and {@code ffmDowncall}: what libbpf's ring_buffer__poll costs a Java
 *     consumer per record at least, one native-to-Java upcall: a call of qsort(3) on two
 *     elements makes one downcall and one upcall of the comparator, on one element only the
 *     downcall; the difference is the upcall.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"})
public class RingReaderBenchmark {
    static final int RECORDS = 512;
    private static final long HEADER = 8;

    private MemorySegment consumer;
    private RingReader reader;
    private long records;
    private final RecordView view = new RecordView();
    private final Output out = new Output(OutputStream.nullOutputStream());
    private final TextTable text = new TextTable(TextTable.Tool.TCPCONNLAT, false, false, false, false, false, null);
    private final RingReader.Handler count = (data, at, length) -> records++;
    private final RingReader.Handler format = (data, at, length) -> text.print(view.wrap(data, at), out);

    private MethodHandle qsort;
    private MemorySegment two;
    private MemorySegment one;
    private MemorySegment comparator;

    @Setup
    public void setUp() throws Exception {
        Arena arena = Arena.ofAuto();
        long size = 1 << 20;
        long record = (EventLayout.LAYOUT.byteSize() + HEADER + 7) & ~7L;
        consumer = arena.allocate(8, 8);
        MemorySegment producer = arena.allocate(8, 8);
        MemorySegment data = arena.allocate(2 * size, 8);
        MemorySegment event = EncodedEvent.of(new ConnectEvent(5_000_000_000L, 1_004_460_123L, 12, 4903, 4904, 1000,
                "python3", 4, "127.0.0.1", 57266, "127.0.0.1", 45999, Result.OK, 0, 0), arena);
        for (int i = 0; i < RECORDS; i++) {
            long at = i * record;
            data.set(ValueLayout.JAVA_INT, at, (int) EventLayout.LAYOUT.byteSize()); // committed: no BUSY bit
            MemorySegment.copy(event, 0, data, at + HEADER, event.byteSize());
        }
        producer.set(ValueLayout.JAVA_LONG, 0, RECORDS * record);
        reader = new RingReader(consumer, producer, data);

        Linker linker = Linker.nativeLinker();
        qsort = linker.downcallHandle(linker.defaultLookup().findOrThrow("qsort"), FunctionDescriptor.ofVoid(
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        comparator = linker.upcallStub(MethodHandles.lookup().findStatic(RingReaderBenchmark.class, "compare",
                MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class)),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS), arena);
        two = arena.allocate(16, 8);
        one = arena.allocate(8, 8);
    }

    private static int compare(MemorySegment a, MemorySegment b) {
        return 0;
    }

    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public long javaReader() throws Exception {
        consumer.set(ValueLayout.JAVA_LONG, 0, 0);
        while (reader.read(count) > 0) {
            // as RingBuffer.consume
        }
        return records;
    }

    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public void javaReaderAndText() throws Exception {
        consumer.set(ValueLayout.JAVA_LONG, 0, 0);
        while (reader.read(format) > 0) {
            // as RingBuffer.consume
        }
        out.flush();
    }

    @Benchmark
    public void ffmUpcall() throws Throwable {
        qsort.invokeExact(two, 2L, 8L, comparator);
    }

    @Benchmark
    public void ffmDowncall() throws Throwable {
        qsort.invokeExact(one, 1L, 8L, comparator);
    }
}
