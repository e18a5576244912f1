/**
 * tcpconnlat: the engine (trace, its events, cgroup and DNS names) for Java users who embed it,
 * and the tools built on it. Only the engine's packages are exported, and none of their
 * signatures names a java.lang.foreign type (ApiSurfaceTest): the libbpf binding (bpf), the
 * kernel's record layouts (decode) and the tools (cli, output, histogram, exporter) stay inside.
 */
module dev.tcpconnlat {
    requires jdk.httpserver;
    requires jdk.unsupported;
    requires java.logging;
    requires info.picocli;
    requires static info.picocli.codegen; // man pages, at packaging time only
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;
    requires org.dnsjava;
    requires io.prometheus.metrics.model;
    requires io.prometheus.writer.text;
    requires bcrypt;
    requires com.google.protobuf;

    exports dev.tcpconnlat.trace;
    exports dev.tcpconnlat.event;
    exports dev.tcpconnlat.cgroup;
    exports dev.tcpconnlat.dns;

    // picocli and Jackson read the commands and the web config by reflection
    opens dev.tcpconnlat.cli to info.picocli;
    opens dev.tcpconnlat.exporter to com.fasterxml.jackson.databind;
}
