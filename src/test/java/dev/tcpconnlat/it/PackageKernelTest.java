package dev.tcpconnlat.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * scripts/package builds a .deb that installs and runs on this machine without a JDK, with
 * man pages, bash completion and the exporter's unit, passes lintian, and leaves nothing
 * behind when removed.
 */
class PackageKernelTest {
    @BeforeEach
    void root() {
        Kernel.requireRoot();
    }

    @Test
    void theDebInstallsRunsDocumentsCompletesAndRemovesCleanly() throws Exception {
        String deb = Kernel.run(Tool.root().resolve("scripts/package").toString()).lines()
                .filter(l -> l.endsWith(".deb")).reduce((a, b) -> b).orElseThrow();
        String lint = Kernel.run("lintian", "--fail-on", "error", deb);
        assertThat(lint.lines()).noneMatch(l -> l.startsWith("E: "));
        String control = Kernel.run("dpkg-deb", "-f", deb, "Depends");
        assertThat(control.trim()).isEqualTo("libbpf1, libc6");
        Kernel.run("dpkg", "-i", deb);
        List<String> files = Kernel.run("dpkg", "-L", "tcpconnlat").lines()
                .filter(f -> !f.isBlank() && Files.isRegularFile(Path.of(f))).toList();
        try {
            assertThat(files).contains("/usr/bin/tcpconnlat", "/usr/bin/tcpconnect", "/usr/bin/tcpconnlat-exporter",
                    "/lib/systemd/system/tcpconnlat-exporter.service", "/usr/share/man/man1/tcpconnlat.1.gz",
                    "/usr/share/bash-completion/completions/tcpconnlat");

            // No JAVA_HOME, no PATH: the package's own runtime.
            try (Listener server = new Listener("127.0.0.1")) {
                Process tool = new ProcessBuilder("env", "-i", "/usr/bin/tcpconnlat").redirectErrorStream(true).start();
                var out = tool.inputReader(StandardCharsets.UTF_8);
                try {
                    assertThat(out.readLine()).startsWith("PID     COMM");
                    Process client = Kernel.connect("127.0.0.1", server.port());
                    String line;
                    while ((line = out.readLine()) != null && !line.startsWith(client.pid() + " ")) {
                        // another process's connect
                    }
                    assertThat(line).isNotNull().contains(" bash ").contains(" " + server.port() + " ");
                } finally {
                    Kernel.run("kill", "-INT", Long.toString(tool.pid()));
                    assertThat(Kernel.waitFor(tool)).isZero();
                }
            }

            // Every option of every tool is in its man page.
            for (String tool : List.of("tcpconnlat", "tcpconnect", "tcpconnlat-exporter")) {
                String help = Kernel.run("/usr/bin/" + tool, "--help");
                String man = Kernel.run("env", "MANPAGER=cat", "MANWIDTH=200", "man", tool);
                Matcher m = Pattern.compile("(?<![\\w-])(--[a-z][a-z.-]*)").matcher(help);
                int options = 0;
                while (m.find()) {
                    assertThat(man).as(tool + "'s man page documents " + m.group(1)).contains(m.group(1));
                    options++;
                }
                assertThat(options).isGreaterThan(5);
            }

            // The completion script loads in bash and completes an option.
            String completed = Kernel.run("bash", "-c", "source /usr/share/bash-completion/bash_completion; "
                    + "source /usr/share/bash-completion/completions/tcpconnlat; "
                    + "COMP_WORDS=(tcpconnlat --buf); COMP_CWORD=1; COMP_LINE='tcpconnlat --buf'; COMP_POINT=16; "
                    + "_complete_tcpconnlat tcpconnlat --buf tcpconnlat 2>/dev/null; echo \"${COMPREPLY[@]}\"");
            assertThat(completed.trim()).isEqualTo("--buffer-size"); // compopt, outside a real completion, is silenced

            assertThat(Kernel.run("systemd-analyze", "verify", "/lib/systemd/system/tcpconnlat-exporter.service"))
                    .doesNotContain("tcpconnlat-exporter.service:");
        } finally {
            Kernel.run("dpkg", "-r", "tcpconnlat");
        }
        assertThat(files).noneMatch(f -> Files.exists(Path.of(f)));
        assertThat(Path.of("/usr/lib/tcpconnlat")).doesNotExist();
        assertThat(Kernel.run("bpftool", "prog", "show")).doesNotContain("handle_set_state");
    }
}
