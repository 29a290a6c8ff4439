package dev.tracing.benchmarks;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import dev.tracing.core.Tracing;
import dev.tracing.export.OtlpProtoEncoder;
import dev.tracing.export.ZipkinV2JsonEncoder;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding a batch of 512 HTTP-like spans as an OTLP request: our hand-written
 * {@link OtlpProtoEncoder} against building the same request with the official
 * opentelemetry-proto classes and serializing it. Runs on the export thread, so it is about
 * that thread's CPU and garbage, not request latency.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class OtlpEncodingBenchmark {

    private List<FinishedSpan> spans;

    @Setup
    public void setUp() {
        spans = new ArrayList<>();
        Tracer tracer = Tracing.newBuilder().serviceName("bench").reporter(spans::add).build();
        for (int i = 0; i < 512; i++) {
            Span root = tracer.nextSpan().name("GET /api/users/{id}").start();
            root.tag("http.request.method", "GET");
            root.tag("http.route", "/api/users/{id}");
            root.tag("url.path", "/api/users/" + i);
            root.tag("http.response.status_code", "200");
            root.event("wire-send");
            root.end();
        }
    }

    @Benchmark
    public byte[] handWritten() {
        return OtlpProtoEncoder.INSTANCE.encode(spans);
    }

    @Benchmark
    public byte[] officialClasses() {
        ScopeSpans.Builder scope = ScopeSpans.newBuilder()
            .setScope(InstrumentationScope.newBuilder().setName("dev.tracing"));
        HexFormat hex = HexFormat.of();
        for (FinishedSpan span : spans) {
            io.opentelemetry.proto.trace.v1.Span.Builder builder = io.opentelemetry.proto.trace.v1.Span.newBuilder()
                .setTraceId(ByteString.copyFrom(hex.parseHex(span.getTraceId())))
                .setSpanId(ByteString.copyFrom(hex.parseHex(span.getSpanId())))
                .setName(span.getName())
                .setKind(io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER)
                .setStartTimeUnixNano(ZipkinV2JsonEncoder.startMicros(span) * 1000)
                .setEndTimeUnixNano(ZipkinV2JsonEncoder.endMicros(span) * 1000)
                .setFlags(1);
            for (Map.Entry<String, String> tag : span.getTags().entrySet()) {
                builder.addAttributes(KeyValue.newBuilder()
                    .setKey(tag.getKey())
                    .setValue(AnyValue.newBuilder().setStringValue(tag.getValue())));
            }
            for (Map.Entry<Long, String> event : span.getEvents()) {
                builder.addEvents(io.opentelemetry.proto.trace.v1.Span.Event.newBuilder()
                    .setTimeUnixNano(event.getKey() * 1000)
                    .setName(event.getValue()));
            }
            scope.addSpans(builder);
        }
        return ExportTraceServiceRequest.newBuilder()
            .addResourceSpans(ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder()
                    .addAttributes(KeyValue.newBuilder()
                        .setKey("service.name")
                        .setValue(AnyValue.newBuilder().setStringValue("bench"))))
                .addScopeSpans(scope))
            .build()
            .toByteArray();
    }

}
