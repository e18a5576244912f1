package dev.tcpconnlat.cli;

import dev.tcpconnlat.bpf.BpfException;
import java.io.PrintStream;
import java.util.Arrays;
import dev.tcpconnlat.trace.Tracer;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Entry point: {@code Main tcpconnlat|tcpconnect|tcpconnlat-exporter [options]} (the launchers in the repo root
 * pass the tool name). Every failure is one line on stderr: usage errors exit 2, others 1.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.err));
    }

    static int run(String[] args, PrintStream err) {
        String tool = args.length > 0 ? args[0] : "";
        StopSignals.install(); // a stop signal from now on ends the run cleanly, even before it attaches
        // Generating libbpf's FFM stubs and parsing with picocli take ~50 ms each: do both at once.
        Tracer.prepare();
        CommandSpec spec = switch (tool) {
            case "tcpconnlat" -> TcpConnLatCommand.spec();
            case "tcpconnect" -> TcpConnectCommand.spec();
            case "tcpconnlat-exporter" -> ExporterCommand.spec();
            default -> null;
        };
        if (spec == null) {
            err.println("usage: Main tcpconnlat|tcpconnect|tcpconnlat-exporter [options]");
            return 2;
        }
        // Like bcc's argparse: a repeated option is no error, the last value wins (-P values add up).
        // No @FILE expansion of arguments: --cidrs @FILE is the option's own (a file of prefixes).
        CommandLine cl = new CommandLine(spec).setOverwrittenOptionsAllowed(true).setExpandAtFiles(false);
        try {
            ParseResult parsed = cl.parseArgs(Arrays.copyOfRange(args, 1, args.length));
            if (CommandLine.printHelpIfRequested(parsed)) {
                return 0;
            }
            return switch (tool) {
                case "tcpconnlat" -> TcpConnLatCommand.run(parsed);
                case "tcpconnect" -> TcpConnectCommand.run(parsed);
                default -> ExporterCommand.run(parsed);
            };
        } catch (ParameterException e) {
            err.println(tool + ": error: " + e.getMessage() + " (see " + tool + " --help)");
            return 2;
        } catch (ToolException | BpfException e) {
            err.println(tool + ": " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println(tool + ": internal error: " + e);
            return 1;
        }
    }
}
