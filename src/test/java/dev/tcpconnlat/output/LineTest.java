package dev.tcpconnlat.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LineTest {
    @ParameterizedTest
    @ValueSource(longs = {0, 7, 9, 10, 99, 100, 4903, -1, -10, 4294967295L, Long.MAX_VALUE, Long.MIN_VALUE})
    void numbersAsLongToString(long v) {
        assertThat(new Line().append(v).toString()).isEqualTo(Long.toString(v));
    }

    @Test
    void textIsUtf8AndLengthCountsCodePoints() {
        String s = "aé€😀";
        Line l = new Line().append(s);
        assertThat(l.toString()).isEqualTo(s);
        assertThat(l.byteLength()).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
        assertThat(l.length()).isEqualTo(4); // what %-Ns pads by, as Python counts
        Columns.left(l.append('|'), "ü", 3);
        assertThat(l.toString()).isEqualTo(s + "|ü  ");
    }

    @Test
    void aLoneSurrogateBecomesTheReplacementCharacter() {
        assertThat(new Line().append("a\ud800b").toString()).isEqualTo("a\ufffdb");
    }

    @Test
    void growsPastItsFirstBuffer() {
        Line l = new Line().pad(1000).append(42);
        assertThat(l.length()).isEqualTo(1002);
        assertThat(l.toString()).endsWith(" 42");
    }
}
