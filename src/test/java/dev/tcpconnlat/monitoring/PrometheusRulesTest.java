package dev.tcpconnlat.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * deploy/prometheus: the rules load ({@code promtool check rules}) and do what their test file
 * says ({@code promtool test rules}: series that fire each alert and series beside them that
 * must not). Debian's promtool (package prometheus, installed by scripts/setup --test).
 */
class PrometheusRulesTest {
    static final Path DIR = Path.of("deploy/prometheus").toAbsolutePath();

    @Test
    void rulesAreValid() throws Exception {
        assertThat(promtool("check", "rules", "tcpconnlat.rules.yml")).contains("SUCCESS: 15 rules found");
    }

    @Test
    void alertsFireOnTheirTestSeriesAndOnlyThere() throws Exception {
        assertThat(promtool("test", "rules", "tcpconnlat.rules.test.yml")).contains("SUCCESS");
    }

    static String promtool(String... args) throws Exception {
        String binary = "/usr/bin/promtool";
        dev.tcpconnlat.Prerequisite.require(Files.isExecutable(Path.of(binary)),
                "promtool is missing: run sudo ./scripts/setup --test (Debian's prometheus package)");
        String[] argv = new String[args.length + 1];
        argv[0] = binary;
        System.arraycopy(args, 0, argv, 1, args.length);
        Process p = new ProcessBuilder(argv).directory(DIR.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
