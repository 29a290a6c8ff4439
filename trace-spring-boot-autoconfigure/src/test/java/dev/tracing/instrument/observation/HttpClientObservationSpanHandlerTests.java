package dev.tracing.instrument.observation;

import java.net.URI;
import java.util.List;

import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import dev.tracing.instrument.http.HttpSpanPolicy;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.propagation.Propagator;
import org.junit.jupiter.api.Test;

import org.springframework.http.HttpMethod;
import org.springframework.http.client.observation.ClientRequestObservationContext;
import org.springframework.mock.http.client.MockClientHttpRequest;

import static org.assertj.core.api.Assertions.assertThat;

/** A client Observation whose span could not be started leaves the caller's span current and no span open. */
class HttpClientObservationSpanHandlerTests {

    private final TraceTracer tracer = Tracing.newBuilder().build();

    /** A propagator that fails to write: the handler's span is never set. */
    private final Propagator failing = new Propagator() {
        @Override
        public List<String> fields() {
            return List.of("traceparent");
        }

        @Override
        public <C> void inject(TraceContext context, C carrier, Setter<C> setter) {
            throw new IllegalStateException("cannot write");
        }

        @Override
        public <C> Span.Builder extract(C carrier, Getter<C> getter) {
            return tracer.spanBuilder();
        }
    };

    @Test
    void withoutASpanTheObservationsScopeLeavesTheCallersSpanCurrent() {
        ObservationRegistry registry = ObservationRegistry.create();
        registry.observationConfig()
            .observationHandler(new HttpClientObservationSpanHandler(tracer, failing, HttpSpanPolicy.builder().build(),
                    InstrumentedExchanges.of(false, false, false)));
        Span caller = tracer.nextSpan().name("caller").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(caller)) {
            ClientRequestObservationContext context = new ClientRequestObservationContext(
                    new MockClientHttpRequest(HttpMethod.GET, URI.create("http://localhost/orders")));
            Observation observation = Observation.createNotStarted("http.client.requests", () -> context, registry)
                .start();
            try (Observation.Scope scope = observation.openScope()) {
                // a log line or a Kafka send in here still belongs to the caller's trace
                assertThat(tracer.currentSpan()).isEqualTo(caller);
            }
            observation.stop();
            assertThat(tracer.currentSpan()).isEqualTo(caller);
        }
        caller.end();
        // the span it started before the write failed is not left open
        assertThat(tracer.openSpanCount()).isZero();
    }

}
