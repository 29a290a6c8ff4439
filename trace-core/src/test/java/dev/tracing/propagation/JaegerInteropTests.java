package dev.tracing.propagation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.tracing.core.BaggageFields;
import dev.tracing.core.SpanContext;
import dev.tracing.core.Tracing;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.extension.trace.propagation.JaegerPropagator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our Jaeger format against OpenTelemetry's {@code JaegerPropagator}, in both directions: what one
 * writes, the other reads as the same trace id, span id, sampling decision and baggage.
 */
class JaegerInteropTests {

    static final List<String> ALLOWED = List.of("tenant", "userId");

    final Tracer tracer = Tracing.newBuilder().serviceName("interop").remoteFields(ALLOWED).build();

    final CompositePropagator ours = CompositePropagator.builder(tracer)
        .consume(List.of(PropagationType.JAEGER))
        .produce(List.of(PropagationType.JAEGER))
        .remoteFields(ALLOWED)
        .build();

    @SuppressWarnings("deprecation") // the Jaeger format is deprecated in OpenTelemetry, still sent by its users
    final TextMapPropagator otel = JaegerPropagator.getInstance();

    /** OpenTelemetry reads Jaeger baggage by listing the carrier's keys. */
    static final TextMapGetter<Map<String, String>> OTEL_GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    @ParameterizedTest
    @ValueSource(strings = { "80f198ee56343ba864fe8b2a57d3eff7", "463ac35c9f6413ad" })
    void openTelemetryReadsWhatWeWrite(String traceId) {
        for (boolean sampled : new boolean[] { true, false }) {
            SpanContext context = SpanContext.from(tracer.traceContextBuilder()
                .traceId(traceId)
                .spanId("e457b5a2e4d86bd1")
                .sampled(sampled)
                .build())
                .withBaggage(BaggageFields.of(Map.of("tenant", "acme-corp", "userId", "alice", "secret", "x")));
            Map<String, String> carrier = new LinkedHashMap<>();

            ours.inject(context, carrier, Map::put);
            Context extracted = otel.extract(Context.root(), carrier, OTEL_GETTER);

            io.opentelemetry.api.trace.SpanContext theirs = io.opentelemetry.api.trace.Span.fromContext(extracted)
                .getSpanContext();
            assertThat(theirs.isValid()).isTrue();
            assertThat(theirs.isRemote()).isTrue();
            // OpenTelemetry's ids are always 128-bit: a 64-bit id is the same id, padded
            assertThat(theirs.getTraceId()).isEqualTo(traceId.length() == 16 ? "0000000000000000" + traceId : traceId);
            assertThat(theirs.getSpanId()).isEqualTo("e457b5a2e4d86bd1");
            assertThat(theirs.isSampled()).isEqualTo(sampled);
            // OpenTelemetry lower-cases the header names it reads baggage from
            assertThat(Baggage.fromContext(extracted).asMap()).containsOnlyKeys("tenant", "userid");
            assertThat(Baggage.fromContext(extracted).getEntryValue("tenant")).isEqualTo("acme-corp");
            assertThat(Baggage.fromContext(extracted).getEntryValue("userid")).isEqualTo("alice");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "80f198ee56343ba864fe8b2a57d3eff7", "0000000000000000463ac35c9f6413ad" })
    void weReadWhatOpenTelemetryWrites(String traceId) {
        for (boolean sampled : new boolean[] { true, false }) {
            io.opentelemetry.api.trace.SpanContext theirs = io.opentelemetry.api.trace.SpanContext.create(traceId,
                    "e457b5a2e4d86bd1", sampled ? TraceFlags.getSampled() : TraceFlags.getDefault(),
                    TraceState.getDefault());
            Context context = Context.root()
                .with(io.opentelemetry.api.trace.Span.wrap(theirs))
                .with(Baggage.builder().put("tenant", "acme-corp").put("userId", "alice").put("secret", "x").build());
            // HTTP headers: names are case-insensitive (OpenTelemetry writes uberctx-userId)
            Map<String, String> carrier = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);

            otel.inject(context, carrier, Map::put);
            SpanContext extracted = ours.extractContext(carrier, (c, k) -> c.get(k));
            Span child = ours.extract(carrier, (c, k) -> c.get(k)).start();

            assertThat(carrier).containsKey("uber-trace-id");
            assertThat(extracted.isRemote()).isTrue();
            // a padded 64-bit id is logged as its 16 significant characters, as the 64-bit caller logs it
            assertThat(extracted.traceId()).isEqualTo(traceId.startsWith("0000000000000000") ? traceId.substring(16)
                    : traceId);
            assertThat(extracted.spanId()).isEqualTo("e457b5a2e4d86bd1");
            assertThat(extracted.sampled()).isEqualTo(sampled);
            assertThat(child.context().traceId()).isEqualTo(extracted.traceId());
            assertThat(child.context().parentId()).isEqualTo("e457b5a2e4d86bd1");
            assertThat(extracted.baggage().asMap())
                .containsOnly(Map.entry("tenant", "acme-corp"), Map.entry("userId", "alice"));
            child.end();
        }
    }
}
