package dev.tracing.context;

import java.util.ArrayList;
import java.util.List;

import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.handler.TracingObservationHandler.TracingContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which span a Reactor Context's trace context stands for when the Context also carries an
 * Observation: the Observation's own span only when it was opened inside the carried span.
 */
class EnclosedObservationTests {

    private final List<FinishedSpan> spans = new ArrayList<>();

    private final TraceTracer tracer = Tracing.newBuilder().reporter(spans::add).build();

    private final ObservationRegistry registry = ObservationRegistry.create();

    EnclosedObservationTests() {
        registry.observationConfig().observationHandler(new ObservationHandler<>() {
            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }
        });
    }

    @Test
    void anObservationOpenedInsideTheCarriedSpanStandsForIt() {
        Span request = tracer.nextSpan().name("request").start();
        Observation outer = observation(tracer.nextSpan(request).name("outer").start(), null);
        Observation inner = observation(tracer.nextSpan(spanOf(outer)).name("inner").start(), outer);
        assertThat(EnclosedObservation.innermost(request.context(), outer)).isEqualTo(spanOf(outer).context());
        // deeper: the carried span is the parent of an enclosing Observation's span
        assertThat(EnclosedObservation.innermost(request.context(), inner)).isEqualTo(spanOf(inner).context());
    }

    @Test
    void anObservationThatEnclosesTheCarriedSpanOrIsElsewhereChangesNothing() {
        Span outerSpan = tracer.nextSpan().name("outer").start();
        Observation enclosing = observation(outerSpan, null);
        Span request = tracer.nextSpan(outerSpan).name("request").start();
        assertThat(EnclosedObservation.innermost(request.context(), enclosing)).isEqualTo(request.context());
        Observation otherTrace = observation(tracer.nextSpan().name("other").start(), null);
        assertThat(EnclosedObservation.innermost(request.context(), otherTrace)).isEqualTo(request.context());
        Observation spanless = Observation.start("spanless", registry);
        assertThat(EnclosedObservation.innermost(request.context(), spanless)).isEqualTo(request.context());
        assertThat(EnclosedObservation.innermost(request.context(), null)).isEqualTo(request.context());
        assertThat(EnclosedObservation.innermost(null, enclosing)).isNull();
    }

    @Test
    void anObservationWhoseSpanHasEndedChangesNothing() {
        Span request = tracer.nextSpan().name("request").start();
        Span section = tracer.nextSpan(request).name("section").start();
        Observation stopped = observation(section, null);
        section.end();
        // a stopped Observation lingers in a Reactor Context, as Spring Security's chain sections do
        assertThat(EnclosedObservation.innermost(request.context(), stopped)).isEqualTo(request.context());
    }

    @Test
    void withoutACarriedSpanAnObservationStandsForItsSpanWhileItIsOpen() {
        Span section = tracer.nextSpan().name("section").start();
        Observation observed = observation(section, null);
        assertThat(EnclosedObservation.openSpanOf(observed)).isEqualTo(section.context());
        assertThat(EnclosedObservation.openSpanOf(Observation.start("spanless", registry))).isNull();
        assertThat(EnclosedObservation.openSpanOf(null)).isNull();
        section.end();
        assertThat(EnclosedObservation.openSpanOf(observed)).isNull();
    }

    private Observation observation(Span span, Observation parent) {
        Observation observation = Observation.createNotStarted("observed", registry);
        if (parent != null) {
            observation.parentObservation(parent);
        }
        TracingContext tracing = new TracingContext();
        tracing.setSpan(span);
        observation.getContext().put(TracingContext.class, tracing);
        return observation.start();
    }

    private static Span spanOf(Observation observation) {
        TracingContext tracing = observation.getContext().get(TracingContext.class);
        return tracing.getSpan();
    }

}
