package dev.tcpconnlat.bench;

import dev.tcpconnlat.decode.RecordView;
import dev.tcpconnlat.cgroup.CgroupNames;
import dev.tcpconnlat.event.ConnectEvent;
import dev.tcpconnlat.decode.EncodedEvent;
import dev.tcpconnlat.event.EventView;
import dev.tcpconnlat.event.Result;
import dev.tcpconnlat.output.JsonLines;
import dev.tcpconnlat.output.Output;
import dev.tcpconnlat.output.TextTable;
import dev.tcpconnlat.trace.CgroupV2;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The user-space hot path: one ring buffer record, as the kernel wrote it, decoded and formatted
 * into the output buffer (written to a null stream when full). Run by bench/jmh.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"})
public class HotPathBenchmark {
    private MemorySegment v4;
    private MemorySegment v6;
    /** 1024 events to as many destinations: the address cache misses (a native inet_ntop per address). */
    private final MemorySegment[] spread = new MemorySegment[1024];
    private int next;
    private final RecordView view = new RecordView();
    private final Output out = new Output(OutputStream.nullOutputStream());
    private final TextTable text = new TextTable(TextTable.Tool.TCPCONNLAT, true, false, true, false, false, null);
    private final JsonLines json = new JsonLines(null, new CgroupNames(CgroupV2.root(), null, 0));

    @Setup
    public void setUp() throws Exception {
        Arena arena = Arena.ofAuto();
        // this process's cgroup: a real id (an inode number, boxed by a map look-up unless cached)
        String path = Files.readAllLines(Path.of("/proc/self/cgroup")).stream()
                .filter(l -> l.startsWith("0::")).findFirst().orElseThrow().substring(4);
        long cgroup = ((Number) Files.getAttribute(CgroupV2.root().resolve(path), "unix:ino")).longValue();
        v4 = EncodedEvent.of(new ConnectEvent(5_000_000_000L, 1_004_460_123L, cgroup, 4903, 4904, 1000, "python3", 4,
                "10.103.219.236", 57266, "10.251.148.38", 443, Result.OK, 0, 0), arena);
        v6 = EncodedEvent.of(new ConnectEvent(5_000_000_000L, 51_000L, 12, 1469, 1469, 0, "curl", 6,
                "2001:db8::1", 40001, "2001:db8:0:1::80", 80, Result.OK, 0, 0), arena);
        for (int i = 0; i < spread.length; i++) {
            spread[i] = EncodedEvent.of(new ConnectEvent(5_000_000_000L, 1_004_460_123L, 12, 4903, 4904, 1000,
                    "python3", 4, "10.103.219.236", 57266, "10.251." + (i >> 8) + "." + (i & 255), 443, Result.OK, 0, 0),
                    arena);
        }
    }

    @Benchmark
    public void textIpv4ManyDestinations() throws IOException {
        text.print(view.wrap(spread[next++ & (spread.length - 1)]), out);
    }

    @Benchmark
    public void textIpv4() throws IOException {
        text.print(view.wrap(v4), out);
    }

    @Benchmark
    public void textIpv6() throws IOException {
        text.print(view.wrap(v6), out);
    }

    @Benchmark
    public void jsonIpv4() throws IOException {
        json.print(view.wrap(v4), out);
    }
}
