package dev.tracing.instrument.observation;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import dev.tracing.propagation.CompositePropagator;
import dev.tracing.propagation.PropagationType;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.ReceiverContext;
import io.micrometer.observation.transport.SenderContext;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.handler.TracingObservationHandler;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * B3 multi headers on a transport whose header names are case-sensitive (a RabbitMQ message's
 * properties: here a plain map), through the starter's handlers of other transports'
 * Observations, against OpenTelemetry's {@code B3Propagator}, which, as Brave's, writes and reads
 * {@code X-B3-TraceId}.
 */
class MessageHeadersPropagatorTests {

    private final TraceTracer tracer = Tracing.newBuilder().serviceName("orders").build();

    private final CompositePropagator propagator = CompositePropagator.builder(tracer)
        .produce(List.of(PropagationType.B3_MULTI))
        .build();

    private final ObservationRegistry registry = ObservationRegistry.create();

    private final TextMapPropagator otel = B3Propagator.injectingMultiHeaders();

    private static final TextMapGetter<Map<String, String>> OTEL_GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    MessageHeadersPropagatorTests() {
        InstrumentedExchanges exchanges = InstrumentedExchanges.of(true, true, true);
        registry.observationConfig()
            .observationHandler(new SenderObservationSpanHandler(tracer, propagator, exchanges))
            .observationHandler(new ReceiverObservationSpanHandler(tracer, propagator, exchanges));
    }

    private static Span spanOf(Observation.Context context) {
        TracingObservationHandler.TracingContext tracing = context.get(TracingObservationHandler.TracingContext.class);
        return tracing.getSpan();
    }

    @Test
    void aMessageWeSendCarriesB3HeadersThatOpenTelemetryReads() {
        Map<String, String> headers = new HashMap<>();
        SenderContext<Map<String, String>> sending = new SenderContext<>(Map::put);
        sending.setCarrier(headers);
        Observation send = Observation.start("publish", () -> sending, registry);
        Span producer = spanOf(sending);
        send.stop();

        assertThat(headers).containsKeys("X-B3-TraceId", "X-B3-SpanId", "X-B3-Sampled")
            .doesNotContainKeys("x-b3-traceid", "x-b3-spanid", "x-b3-sampled");
        SpanContext read = io.opentelemetry.api.trace.Span
            .fromContext(otel.extract(Context.root(), headers, OTEL_GETTER))
            .getSpanContext();
        assertThat(read.isValid()).isTrue();
        assertThat(read.getTraceId()).isEqualTo(producer.context().traceId());
        assertThat(read.getSpanId()).isEqualTo(producer.context().spanId());
        assertThat(read.isSampled()).isTrue();
    }

    @Test
    void aMessageOpenTelemetrySentIsReceivedInItsTrace() {
        SpanContext sent = SpanContext.create("463ac35c9f6413ad48485a3953bb6124", "0020000000000001",
                TraceFlags.getSampled(), TraceState.getDefault());
        Map<String, String> headers = new HashMap<>();
        otel.inject(Context.root().with(io.opentelemetry.api.trace.Span.wrap(sent)), headers, Map::put);
        assertThat(headers).containsKey("X-B3-TraceId");

        ReceiverContext<Map<String, String>> receiving = new ReceiverContext<>(Map::get);
        receiving.setCarrier(headers);
        Observation receive = Observation.start("consume", () -> receiving, registry);
        Span consumer = spanOf(receiving);
        receive.stop();

        assertThat(consumer.context().traceId()).isEqualTo(sent.getTraceId());
        assertThat(consumer.context().parentId()).isEqualTo(sent.getSpanId());
    }

    @Test
    void aMessageAnOlderReleaseSentInLowerCaseIsReceivedInItsTraceToo() {
        Map<String, String> headers = new HashMap<>(Map.of("x-b3-traceid", "463ac35c9f6413ad48485a3953bb6124",
                "x-b3-spanid", "0020000000000001", "x-b3-sampled", "1"));
        ReceiverContext<Map<String, String>> receiving = new ReceiverContext<>(Map::get);
        receiving.setCarrier(headers);
        Observation receive = Observation.start("consume", () -> receiving, registry);
        Span consumer = spanOf(receiving);
        receive.stop();

        assertThat(consumer.context().traceId()).isEqualTo("463ac35c9f6413ad48485a3953bb6124");
        assertThat(consumer.context().parentId()).isEqualTo("0020000000000001");
    }

}
