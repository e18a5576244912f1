package dev.tcpconnlat.exporter;

import com.google.protobuf.CodedOutputStream;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The body of an OTLP/HTTP metrics export (protobuf) made from the same snapshots a scrape
 * writes: each series with the name and labels it has in /metrics (a counter's {@code _total}
 * and an info's {@code _info} kept, so that a receiver gives the scrape's series, Prometheus'
 * and VictoriaMetrics' OTLP translations leaving them as they are), labels whose value is ""
 * left out (Prometheus has none such), cumulative temporality, classic histograms as explicit
 * bucket histograms. Each message is written once, after its size was computed (no copies of
 * nested messages: 10,000 histograms are ~4 MB). The messages, from
 * opentelemetry/proto/{collector/metrics,metrics,resource,common}/v1:
 * <pre>
 * message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
 * message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; }
 * message Resource { repeated KeyValue attributes = 1; }
 * message ScopeMetrics { InstrumentationScope scope = 1; repeated Metric metrics = 2; }
 * message InstrumentationScope { string name = 1; string version = 2; }
 * message Metric { string name = 1; string description = 2; string unit = 3;
 *                  oneof data { Gauge gauge = 5; Sum sum = 7; Histogram histogram = 9; ... } }
 * message Gauge { repeated NumberDataPoint data_points = 1; }
 * message Sum { repeated NumberDataPoint data_points = 1;
 *               AggregationTemporality aggregation_temporality = 2; bool is_monotonic = 3; }
 * message Histogram { repeated HistogramDataPoint data_points = 1;
 *                     AggregationTemporality aggregation_temporality = 2; }
 * message NumberDataPoint { repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2;
 *                           fixed64 time_unix_nano = 3; oneof value { double as_double = 4; ... } }
 * message HistogramDataPoint { repeated KeyValue attributes = 9; fixed64 start_time_unix_nano = 2;
 *                              fixed64 time_unix_nano = 3; fixed64 count = 4; optional double sum = 5;
 *                              repeated fixed64 bucket_counts = 6; repeated double explicit_bounds = 7; }
 * message KeyValue { string key = 1; AnyValue value = 2; }
 * message AnyValue { oneof value { string string_value = 1; ... } }
 * enum AggregationTemporality { ..._UNSPECIFIED = 0; ..._DELTA = 1; ..._CUMULATIVE = 2; }
 * </pre>
 */
final class OtlpEncoder {
    private static final int CUMULATIVE = 2;

    /** One series' kind on the wire. */
    private enum Kind { GAUGE, SUM, HISTOGRAM }

    /** A metric as it is sent: its name on the wire, and its points. */
    private record Metric(String name, String help, String unit, Kind kind, List<? extends DataPointSnapshot> points) {}

    private final Map<String, String> resource;
    private final String scopeName;
    private final String scopeVersion;
    private final long startNs;

    /** {@code resource}: the resource's attributes; {@code startNs}: the start of every cumulative series (the exporter's). */
    OtlpEncoder(Map<String, String> resource, String scopeName, String scopeVersion, long startNs) {
        this.resource = resource;
        this.scopeName = scopeName;
        this.scopeVersion = scopeVersion;
        this.startNs = startNs;
    }

    /** The request for {@code snapshots}, taken at {@code nowNs} (Unix time): its size, then its bytes. */
    Request request(MetricSnapshots snapshots, long nowNs) {
        return new Request(metrics(snapshots), nowNs);
    }

    /**
     * A request to be written: {@link #size} bytes (the body's length, known before it is
     * written). Every nested message's size is computed once, here, and written before it.
     */
    final class Request {
        private final List<Metric> metrics;
        private final long nowNs;
        private final int[][] pointSizes; // [metric][point]
        private final int[] dataSizes;    // the Gauge, Sum or Histogram message of each metric
        private final int[] metricSizes;
        private final int scopeSize;
        private final int resourceMetricsSize;

        private Request(List<Metric> metrics, long nowNs) {
            this.metrics = metrics;
            this.nowNs = nowNs;
            pointSizes = new int[metrics.size()][];
            dataSizes = new int[metrics.size()];
            metricSizes = new int[metrics.size()];
            // ScopeMetrics: scope 1, metrics 2
            int scope = CodedOutputStream.computeTagSize(1) + lengthDelimited(scopeHeaderSize());
            for (int i = 0; i < metrics.size(); i++) {
                Metric m = metrics.get(i);
                pointSizes[i] = new int[m.points.size()];
                // Gauge, Sum, Histogram: data_points 1; Sum and Histogram: aggregation_temporality 2; Sum: is_monotonic 3
                int data = 0;
                for (int j = 0; j < pointSizes[i].length; j++) {
                    DataPointSnapshot p = m.points.get(j);
                    pointSizes[i][j] = m.kind == Kind.HISTOGRAM
                            ? histogramPointSize((HistogramSnapshot.HistogramDataPointSnapshot) p, nowNs)
                            : numberPointSize(p, nowNs);
                    data += CodedOutputStream.computeTagSize(1) + lengthDelimited(pointSizes[i][j]);
                }
                if (m.kind != Kind.GAUGE) {
                    data += CodedOutputStream.computeEnumSize(2, CUMULATIVE);
                }
                if (m.kind == Kind.SUM) {
                    data += CodedOutputStream.computeBoolSize(3, true);
                }
                dataSizes[i] = data;
                // Metric: name 1, description 2, unit 3, gauge 5 | sum 7 | histogram 9
                metricSizes[i] = CodedOutputStream.computeStringSize(1, m.name) + CodedOutputStream.computeStringSize(2, m.help)
                        + (m.unit.isEmpty() ? 0 : CodedOutputStream.computeStringSize(3, m.unit))
                        + CodedOutputStream.computeTagSize(dataField(m.kind)) + lengthDelimited(data);
                scope += CodedOutputStream.computeTagSize(2) + lengthDelimited(metricSizes[i]);
            }
            scopeSize = scope;
            // ResourceMetrics: resource 1, scope_metrics 2 (one)
            resourceMetricsSize = CodedOutputStream.computeTagSize(1) + lengthDelimited(resourceSize())
                    + CodedOutputStream.computeTagSize(2) + lengthDelimited(scopeSize);
        }

        int size() {
            return CodedOutputStream.computeTagSize(1) + lengthDelimited(resourceMetricsSize);
        }

        void writeTo(OutputStream out) throws IOException {
            CodedOutputStream o = CodedOutputStream.newInstance(out, 64 * 1024);
            // ExportMetricsServiceRequest.resource_metrics (1): one
            message(o, 1, resourceMetricsSize);
            message(o, 1, resourceSize());
            resource.forEach((k, v) -> keyValue(o, 1, k, v));
            message(o, 2, scopeSize);
            message(o, 1, scopeHeaderSize());
            o.writeString(1, scopeName);
            o.writeString(2, scopeVersion);
            for (int i = 0; i < metrics.size(); i++) {
                Metric m = metrics.get(i);
                message(o, 2, metricSizes[i]);
                o.writeString(1, m.name);
                o.writeString(2, m.help);
                if (!m.unit.isEmpty()) {
                    o.writeString(3, m.unit);
                }
                message(o, dataField(m.kind), dataSizes[i]);
                for (int j = 0; j < pointSizes[i].length; j++) {
                    message(o, 1, pointSizes[i][j]);
                    if (m.kind == Kind.HISTOGRAM) {
                        writeHistogramPoint(o, (HistogramSnapshot.HistogramDataPointSnapshot) m.points.get(j), nowNs);
                    } else {
                        writeNumberPoint(o, m.points.get(j), nowNs);
                    }
                }
                if (m.kind != Kind.GAUGE) {
                    o.writeEnum(2, CUMULATIVE);
                }
                if (m.kind == Kind.SUM) {
                    o.writeBool(3, true);
                }
            }
            o.flush();
        }
    }

    private static List<Metric> metrics(MetricSnapshots snapshots) {
        List<Metric> metrics = new ArrayList<>();
        for (MetricSnapshot s : snapshots) {
            String name = s.getMetadata().getPrometheusName();
            String help = s.getMetadata().getHelp() == null ? "" : s.getMetadata().getHelp();
            String unit = !s.getMetadata().hasUnit() ? "" : ucum(s.getMetadata().getUnit().toString());
            switch (s) {
                case CounterSnapshot c -> metrics.add(new Metric(name + "_total", help, unit, Kind.SUM, c.getDataPoints()));
                case GaugeSnapshot g -> metrics.add(new Metric(name, help, unit, Kind.GAUGE, g.getDataPoints()));
                case HistogramSnapshot h -> metrics.add(new Metric(name, help, unit, Kind.HISTOGRAM,
                        h.getDataPoints().stream().filter(HistogramSnapshot.HistogramDataPointSnapshot::hasClassicHistogramData)
                                .toList()));
                case InfoSnapshot i -> metrics.add(new Metric(name + "_info", help, unit, Kind.GAUGE, i.getDataPoints()));
                default -> { } // the exporter makes no other kind
            }
        }
        return metrics;
    }

    private int resourceSize() {
        int n = 0;
        for (Map.Entry<String, String> e : resource.entrySet()) {
            n += CodedOutputStream.computeTagSize(1) + lengthDelimited(keyValueSize(e.getKey(), e.getValue()));
        }
        return n;
    }

    private int scopeHeaderSize() {
        return CodedOutputStream.computeStringSize(1, scopeName) + CodedOutputStream.computeStringSize(2, scopeVersion);
    }

    private static int dataField(Kind kind) {
        return switch (kind) {
            case GAUGE -> 5;
            case SUM -> 7;
            case HISTOGRAM -> 9;
        };
    }

    private static double value(DataPointSnapshot p) {
        return switch (p) {
            case CounterSnapshot.CounterDataPointSnapshot c -> c.getValue();
            case GaugeSnapshot.GaugeDataPointSnapshot g -> g.getValue();
            default -> 1; // an info's
        };
    }

    private long start(DataPointSnapshot p) {
        return p.hasCreatedTimestamp() ? p.getCreatedTimestampMillis() * 1_000_000L : startNs;
    }

    // NumberDataPoint: attributes 7, start_time_unix_nano 2, time_unix_nano 3, as_double 4
    private int numberPointSize(DataPointSnapshot p, long nowNs) {
        return attributesSize(7, p.getLabels()) + CodedOutputStream.computeFixed64Size(2, start(p))
                + CodedOutputStream.computeFixed64Size(3, nowNs) + CodedOutputStream.computeDoubleSize(4, value(p));
    }

    private void writeNumberPoint(CodedOutputStream o, DataPointSnapshot p, long nowNs) throws IOException {
        writeAttributes(o, 7, p.getLabels());
        o.writeFixed64(2, start(p));
        o.writeFixed64(3, nowNs);
        o.writeDouble(4, value(p));
    }

    // HistogramDataPoint: attributes 9, start 2, time 3, count 4, sum 5, bucket_counts 6 (packed), explicit_bounds 7 (packed)
    private int histogramPointSize(HistogramSnapshot.HistogramDataPointSnapshot p, long nowNs) {
        int buckets = p.getClassicBuckets().size(); // the last is +Inf: no bound of its own
        return attributesSize(9, p.getLabels()) + CodedOutputStream.computeFixed64Size(2, start(p))
                + CodedOutputStream.computeFixed64Size(3, nowNs) + CodedOutputStream.computeFixed64Size(4, p.getCount())
                + (p.hasSum() ? CodedOutputStream.computeDoubleSize(5, p.getSum()) : 0)
                + CodedOutputStream.computeTagSize(6) + lengthDelimited(8 * buckets)
                + (buckets > 1 ? CodedOutputStream.computeTagSize(7) + lengthDelimited(8 * (buckets - 1)) : 0);
    }

    private void writeHistogramPoint(CodedOutputStream o, HistogramSnapshot.HistogramDataPointSnapshot p, long nowNs)
            throws IOException {
        ClassicHistogramBuckets b = p.getClassicBuckets();
        writeAttributes(o, 9, p.getLabels());
        o.writeFixed64(2, start(p));
        o.writeFixed64(3, nowNs);
        o.writeFixed64(4, p.getCount());
        if (p.hasSum()) {
            o.writeDouble(5, p.getSum());
        }
        o.writeTag(6, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
        o.writeUInt32NoTag(8 * b.size());
        for (int i = 0; i < b.size(); i++) {
            o.writeFixed64NoTag(b.getCount(i)); // per bucket, not cumulative: as the model keeps them
        }
        if (b.size() > 1) {
            o.writeTag(7, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
            o.writeUInt32NoTag(8 * (b.size() - 1));
            for (int i = 0; i < b.size() - 1; i++) {
                o.writeDoubleNoTag(b.getUpperBound(i));
            }
        }
    }

    private static int attributesSize(int field, Labels labels) {
        int n = 0;
        for (int i = 0; i < labels.size(); i++) {
            if (!labels.getValue(i).isEmpty()) {
                n += CodedOutputStream.computeTagSize(field)
                        + lengthDelimited(keyValueSize(labels.getPrometheusName(i), labels.getValue(i)));
            }
        }
        return n;
    }

    private static void writeAttributes(CodedOutputStream o, int field, Labels labels) {
        for (int i = 0; i < labels.size(); i++) {
            if (!labels.getValue(i).isEmpty()) {
                keyValue(o, field, labels.getPrometheusName(i), labels.getValue(i));
            }
        }
    }

    // KeyValue: key 1, value 2 (AnyValue: string_value 1)
    private static int keyValueSize(String key, String value) {
        return CodedOutputStream.computeStringSize(1, key)
                + CodedOutputStream.computeTagSize(2) + lengthDelimited(CodedOutputStream.computeStringSize(1, value));
    }

    private static void keyValue(CodedOutputStream o, int field, String key, String value) {
        try {
            message(o, field, keyValueSize(key, value));
            o.writeString(1, key);
            message(o, 2, CodedOutputStream.computeStringSize(1, value));
            o.writeString(1, value);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A nested message's tag and length; its fields follow. */
    private static void message(CodedOutputStream o, int field, int size) throws IOException {
        o.writeTag(field, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
        o.writeUInt32NoTag(size);
    }

    private static int lengthDelimited(int size) {
        return CodedOutputStream.computeUInt32SizeNoTag(size) + size;
    }

    /** The Prometheus client's unit names as UCUM, the units OTLP carries. */
    private static String ucum(String unit) {
        return switch (unit) {
            case "seconds" -> "s";
            case "bytes" -> "By";
            case "ratio" -> "1";
            default -> unit;
        };
    }
}
