package dev.tracing.instrument.observation;

import java.net.URI;

import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import dev.tracing.instrument.http.HttpSpanPolicy;
import dev.tracing.testing.FailingPropagator;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import org.junit.jupiter.api.Test;

import org.springframework.http.HttpMethod;
import org.springframework.http.client.observation.ClientRequestObservationContext;
import org.springframework.mock.http.client.MockClientHttpRequest;

import static org.assertj.core.api.Assertions.assertThat;

/** A client Observation whose span could not be started leaves the caller's span current and no span open. */
class HttpClientObservationSpanHandlerTests {

    private final TraceTracer tracer = Tracing.newBuilder().build();

    /** Writing the headers fails: the handler's span is never set. */
    private final Propagator failing = new FailingPropagator(tracer);

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
