package dev.tcpconnlat.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tcpconnlat.cgroup.CgroupLabels;
import dev.tcpconnlat.event.HistogramKey;
import dev.tcpconnlat.event.Result;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** One label type: names, where each is offered, parsing (one rule for every option) and values. */
class LabelTest {
    @Test
    void whereEachLabelIsOffered() {
        assertThat(Label.SELECTABLE).extracting(Label::labelName).containsExactly(
                "unit", "cgroup", "container_id", "pod_uid", "namespace", "pod", "container", "comm", "daddr", "dport", "peer");
        assertThat(Label.BY).extracting(Label::labelName).containsExactly("unit", "comm", "daddr", "dport", "peer", "retransmits");
        assertThat(Label.JSON).extracting(Label::labelName).containsExactly(
                "unit", "container_id", "pod_uid", "namespace", "pod", "container");
        assertThat(Label.JSON).allMatch(Label::fromCgroup);
        assertThat(Label.names(Label.BY)).isEqualTo("unit, comm, daddr, dport, peer or retransmits");
    }

    @Test
    void listsAreExactAndInTheLabelsOrder() {
        assertThat(Label.parseList("dport,unit", Label.SELECTABLE)).containsExactly(Label.UNIT, Label.DPORT);
        assertThat(Label.parseList("", Label.SELECTABLE)).isEmpty();
        assertThatThrownBy(() -> Label.parseList("unit,unit", Label.SELECTABLE)).hasMessage("unit is given twice");
        assertThatThrownBy(() -> Label.parseList("retransmits", Label.SELECTABLE))
                .hasMessageEndingWith("comma-separated, not 'retransmits'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"UNIT", " unit", "unit ", "unit,", ",unit", "unit,,dport", "result", "family"})
    void namesAreExact(String text) {
        assertThatThrownBy(() -> Label.parseList(text, Label.SELECTABLE)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void valuesFromTheKeyAndTheCgroup() {
        HistogramKey k = new HistogramKey(7, "curl", 6, "::1", 443, Result.TIMEDOUT, 5, null, false);
        assertThat(Label.RESULT.value(k, null)).isEqualTo("timedout");
        assertThat(Label.FAMILY.value(k, null)).isEqualTo("ipv6");
        assertThat(Label.COMM.value(k, null)).isEqualTo("curl");
        assertThat(Label.DPORT.value(k, null)).isEqualTo("443");
        assertThat(Label.RETRANSMITS.value(k, null)).isEqualTo("3+");
        CgroupLabels c = new CgroupLabels("/a/b.scope", "b.scope", "id", "uid", "ns", "pod", "ctr");
        assertThat(List.of(Label.UNIT.value(c), Label.CGROUP.value(c), Label.NAMESPACE.value(c), Label.CONTAINER.value(c)))
                .containsExactly("b.scope", "/a/b.scope", "ns", "ctr");
    }
}
