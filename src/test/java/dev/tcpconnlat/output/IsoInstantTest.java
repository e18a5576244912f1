package dev.tcpconnlat.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IsoInstantTest {
    @ParameterizedTest
    @ValueSource(longs = {0, 1, 999_999_999, 1_000_000_000, 1_764_172_214_000_000_000L, 1_764_172_214_120_000_000L,
            1_764_172_214_123_456_000L, 1_764_172_214_123_456_789L, 1_764_172_214_000_000_001L, -1, -1_000_000_001})
    void asInstantToString(long epochNs) {
        IsoInstant iso = new IsoInstant();
        byte[] out = new byte[32];
        iso.format(epochNs - 1_000_000_000L, out); // a cached second that differs
        String got = new String(out, 0, iso.format(epochNs, out), StandardCharsets.US_ASCII);
        assertThat(got).isEqualTo(Instant.ofEpochSecond(0, epochNs).toString());
        got = new String(out, 0, iso.format(epochNs, out), StandardCharsets.US_ASCII); // the same second again
        assertThat(got).isEqualTo(Instant.ofEpochSecond(0, epochNs).toString());
    }
}
