package dev.tcpconnlat.cli;

import picocli.CommandLine.IVersionProvider;

/** The version from the jar's manifest. */
final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Version.class.getPackage().getImplementationVersion();
        return new String[] {"${COMMAND-NAME} " + (v == null ? "dev" : v)};
    }
}
