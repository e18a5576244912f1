package dev.tcpconnlat.cli;

/** A failure to report as one line, exit status 1. */
final class ToolException extends RuntimeException {
    ToolException(String message) {
        super(message);
    }
}
