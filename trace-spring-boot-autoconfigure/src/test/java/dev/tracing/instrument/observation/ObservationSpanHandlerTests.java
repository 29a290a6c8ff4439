package dev.tracing.instrument.observation;

import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import io.micrometer.observation.NullObservation;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.handler.TracingObservationHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code NullObservation} scope Micrometer's accessor opens to clear the thread's Observation
 * (as Reactor's automatic propagation does around operators whose Reactor Context has none) is not
 * this handler's: the current span follows our trace context's accessor, restored from the same
 * source (TraceReactorAutoConfigurationTests shows both together).
 */
class ObservationSpanHandlerTests {

    private final TraceTracer tracer = Tracing.newBuilder().build();

    private final ObservationRegistry registry = ObservationRegistry.create();

    private final ObservationThreadLocalAccessor accessor = new ObservationThreadLocalAccessor(registry);

    ObservationSpanHandlerTests() {
        registry.observationConfig()
            .observationHandler(new ObservationSpanHandler(tracer, InstrumentedExchanges.of(true, true, true)));
    }

    @AfterEach
    void noSpanLeft() {
        assertThat(tracer.currentSpan()).isNull();
        assertThat(MDC.get("traceId")).isNull();
    }

    @Test
    void clearingTheObservationLeavesTheSpanAndRecordsNothing() {
        Observation outer = Observation.start("outer", registry);
        try (Observation.Scope scope = outer.openScope()) {
            Span outerSpan = tracer.currentSpan();
            assertThat(outerSpan).isNotNull();
            accessor.setValue();
            Observation cleared = registry.getCurrentObservation();
            assertThat(cleared).isInstanceOf(NullObservation.class);
            assertThat(cleared.getContextView().containsKey(TracingObservationHandler.TracingContext.class))
                .as("no tracing context for the clearing scope")
                .isFalse();
            assertThat(tracer.currentSpan()).isEqualTo(outerSpan);
            assertThat(MDC.get("traceId")).isEqualTo(outerSpan.context().traceId());
            accessor.restore(outer);
            assertThat(registry.getCurrentObservation()).isSameAs(outer);
            assertThat(tracer.currentSpan()).isEqualTo(outerSpan);
        }
        outer.stop();
    }

}
