package dev.tcpconnlat.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** --cidrs as the kernel's LPM trie gets it: IPv4 v4-mapped, one number per name; host bits set or a prefix twice refused. */
class CidrsTest {
    @Test
    void prefixesAsTheKernelKeysThem() {
        Cidrs c = Cidrs.parse("10.0.0.0/8=internal, fd00::/8=internal,192.168.0.0/16=lan");
        assertThat(c.prefixes()).hasSize(3);
        Cidrs.Prefix v4 = c.prefixes().get(0);
        assertThat(HexFormat.of().formatHex(v4.address())).isEqualTo("00000000000000000000ffff0a000000");
        assertThat(v4.bits()).isEqualTo(104);
        assertThat(HexFormat.of().formatHex(c.prefixes().get(1).address())).isEqualTo("fd000000000000000000000000000000");
        assertThat(c.prefixes()).extracting(Cidrs.Prefix::group).containsExactly(1, 1, 2);
        assertThat(c.name(1)).isEqualTo("internal");
        assertThat(c.name(2)).isEqualTo("lan");
        assertThat(c.name(0)).isEqualTo(Cidrs.OTHER);
    }

    @Test
    void aFileOfLines(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("cidrs");
        Files.writeString(f, "# office\n10.0.0.0/8=internal\n\n0.0.0.0/0=internet\n");
        Cidrs c = Cidrs.read("@" + f);
        assertThat(c.prefixes()).extracting(Cidrs.Prefix::bits).containsExactly(104, 96);
        assertThatThrownBy(() -> Cidrs.read("@" + dir.resolve("missing"))).hasMessageContaining("no such file");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10.0.0.0/8", "10.0.0.0=x", "10.0.0.0/33=x", "fd00::/129=x", "host/8=x",
        "10.0.0.0/8=", "10.0.0.0/8=a b", "10.0.0.0/x=y", "10.1.2.3/8=x", "fd00::1/8=x", "10.0.0.0/8=a,10.0.0.0/8=b",
        "10.0.0.0/8=a,10.0.0.0/8=a", "::ffff:10.0.0.0/104=a,10.0.0.0/8=b"})
    void badSpecsAreOneLine(String spec) {
        assertThatThrownBy(() -> Cidrs.parse(spec)).isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage().lines()).hasSize(1));
    }
}
