package dev.tcpconnlat.output;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Expected values are what Python prints for "%.2f" % (float(us) / 1000) and "%-9.3f" % (float(us) / 1e6). */
class ColumnsTest {
    @ParameterizedTest
    @CsvSource({
        "45, 0.04", "55, 0.06", "125, 0.12", "135, 0.14", "1004460, 1004.46", "5, 0.01", "15, 0.01",
        "25, 0.03", "1234565, 1234.57", "999995, 1000.00", "2675, 2.67", "1000005, 1000.00", "0, 0.00"})
    void latencyRoundsLikePython(long us, String expected) {
        Line b = new Line();
        Columns.scaled(b, us, 3, 2, 0);
        assertThat(b.toString()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', ignoreLeadingAndTrailingWhitespace = false, value = {
        "500|0.001    ", "1500|0.002    ", "2500|0.003    ", "123456500|123.457  ", "31871000|31.871   "})
    void timestampRoundsAndPadsLikePython(long us, String expected) {
        Line b = new Line();
        Columns.scaled(b, us, 6, 3, 9);
        assertThat(b.toString()).isEqualTo(expected);
    }
}
