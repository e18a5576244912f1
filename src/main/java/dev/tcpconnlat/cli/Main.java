package dev.tcpconnlat.cli;

import dev.tcpconnlat.bpf.BpfException;
import java.io.PrintStream;
import java.util.Arrays;
import picocli.CommandLine;

/**
 * Entry point: {@code Main tcpconnlat|tcpconnect [options]} (the launchers in the repo root
 * pass the tool name). Every failure is one line on stderr: usage errors exit 2, others 1.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.err));
    }

    static int run(String[] args, PrintStream err) {
        String tool = args.length > 0 ? args[0] : "";
        Object command = switch (tool) {
            case "tcpconnlat" -> new TcpConnLatCommand();
            case "tcpconnect" -> new TcpConnectCommand();
            default -> null;
        };
        if (command == null) {
            err.println("usage: Main tcpconnlat|tcpconnect [options]");
            return 2;
        }
        CommandLine cl = new CommandLine(command);
        cl.setParameterExceptionHandler((e, a) -> {
            err.println(tool + ": error: " + e.getMessage() + " (see " + tool + " --help)");
            return CommandLine.ExitCode.USAGE;
        });
        cl.setExecutionExceptionHandler((e, c, p) -> {
            String message = e instanceof ToolException || e instanceof BpfException
                    ? e.getMessage() : "internal error: " + e;
            err.println(tool + ": " + message);
            return 1;
        });
        return cl.execute(Arrays.copyOfRange(args, 1, args.length));
    }
}
