package dev.tcpconnlat.trace;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tcpconnlat.decode.CountKeyLayout;
import dev.tcpconnlat.decode.EventLayout;
import dev.tcpconnlat.decode.HistKeyLayout;
import dev.tcpconnlat.decode.HistLayout;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The C/Java contract: every struct that crosses between tcpconn.bpf.c and Java has, in the
 * compiled object's BTF, the same size and the same fields at the same offsets as its Java
 * layout. Changing one side alone fails the build.
 */
class LayoutContractTest {
    private static JsonNode btf;

    @BeforeAll
    static void readBtf() throws Exception {
        Path object = Path.of("target/classes/bpf/tcpconn.bpf.o");
        Process p = new ProcessBuilder("bpftool", "-j", "btf", "dump", "file", object.toString()).start();
        btf = new ObjectMapper().readTree(p.getInputStream());
        assertThat(p.waitFor()).as("bpftool btf dump of " + object).isZero();
    }

    static Stream<Arguments> structs() {
        return Stream.of(
                Arguments.of("event", EventLayout.LAYOUT),
                Arguments.of("dns_event", EventLayout.DNS_LAYOUT),
                Arguments.of("cgroup_event", EventLayout.CGROUP_LAYOUT),
                Arguments.of("config", ConfigLayout.LAYOUT),
                Arguments.of("count_key", CountKeyLayout.LAYOUT),
                Arguments.of("hist_key", HistKeyLayout.LAYOUT),
                Arguments.of("cidr_key", Cidrs.KEY_LAYOUT),
                Arguments.of("peer_key", Peers.KEY_LAYOUT),
                Arguments.of("hist", HistLayout.LAYOUT));
    }

    @ParameterizedTest(name = "struct {0}")
    @MethodSource("structs")
    void javaLayoutMatchesTheCompiledStruct(String name, GroupLayout java) {
        JsonNode c = null;
        for (JsonNode t : btf.get("types")) {
            if (t.get("kind").asText().equals("STRUCT") && name.equals(t.path("name").asText())) {
                c = t;
            }
        }
        assertThat(c).as("struct " + name + " in the object's BTF").isNotNull();
        Map<String, Long> cOffsets = new LinkedHashMap<>();
        for (JsonNode m : c.get("members")) {
            cOffsets.put(m.get("name").asText(), m.get("bits_offset").asLong() / 8);
        }
        Map<String, Long> javaOffsets = new LinkedHashMap<>();
        long offset = 0;
        for (MemoryLayout m : java.memberLayouts()) {
            if (!(m instanceof PaddingLayout)) {
                javaOffsets.put(m.name().orElseThrow(), offset);
            }
            offset += m.byteSize();
        }
        assertThat(javaOffsets).as("fields and byte offsets of struct " + name).containsExactlyEntriesOf(cOffsets);
        assertThat(java.byteSize()).as("size of struct " + name).isEqualTo(c.get("size").asLong());
    }
}
