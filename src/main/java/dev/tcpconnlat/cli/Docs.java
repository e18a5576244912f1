package dev.tcpconnlat.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Packaging only (scripts/package, with picocli-codegen on the class path; it is not in the
 * jar): writes TOOL.adoc (a man page in AsciiDoc, from picocli's ManPageGenerator) and TOOL.bash
 * (bash completion, from picocli's AutoComplete) for each tool into the directory given.
 */
final class Docs {
    private Docs() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        for (Map.Entry<String, CommandSpec> tool : Map.of("tcpconnlat", TcpConnLatCommand.spec(),
                "tcpconnect", TcpConnectCommand.spec(), "tcpconnlat-exporter", ExporterCommand.spec()).entrySet()) {
            CommandLine cl = new CommandLine(tool.getValue()); // the generator wants the spec's CommandLine
            try (PrintWriter pw = new PrintWriter(Files.newBufferedWriter(dir.resolve(tool.getKey() + ".adoc"),
                    StandardCharsets.UTF_8))) {
                ManPageGenerator.writeSingleManPage(pw, tool.getValue());
            }
            Files.writeString(dir.resolve(tool.getKey() + ".bash"),
                    AutoComplete.bash(tool.getKey(), cl), StandardCharsets.UTF_8);
        }
    }
}
