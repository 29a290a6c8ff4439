package dev.tracing.instrument.observation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import dev.tracing.propagation.CompositePropagator;
import dev.tracing.propagation.PropagationType;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.SenderContext;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.propagation.Propagator;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which span a nested Observation's span is a child of, when the thread's current span and the
 * enclosing Observation disagree, as they do in a reactive chain with automatic propagation:
 * Reactor opens the enclosing Observation's scope, then restores the request's span over it.
 */
class EnclosingObservationTests {

    private final List<FinishedSpan> spans = new ArrayList<>();

    private final TraceTracer tracer = Tracing.newBuilder().reporter(spans::add).build();

    private final ObservationRegistry registry = ObservationRegistry.create();

    EnclosingObservationTests() {
        InstrumentedExchanges exchanges = InstrumentedExchanges.of(true, true, true);
        Propagator propagator = CompositePropagator.builder(tracer)
                .consume(List.of(PropagationType.W3C))
                .produce(List.of(PropagationType.W3C))
                .build();
        registry.observationConfig()
            .observationHandler(new ObservationSpanHandler(tracer, exchanges))
            .observationHandler(new SenderObservationSpanHandler(tracer, propagator, exchanges));
    }

    @Test
    void aNestedObservationIsAChildOfItsOpenEnclosingObservationWhenTheCurrentSpanIsTheRequests() {
        Span request = tracer.nextSpan().name("request").start();
        try (Tracer.SpanInScope inRequest = tracer.withSpan(request)) {
            Observation section = Observation.start("section", registry);
            try (Observation.Scope sectionScope = section.openScope();
                    Tracer.SpanInScope restored = tracer.withSpan(request)) {
                assertThat(tracer.currentSpan()).isEqualTo(request);
                Observation.createNotStarted("authenticate", registry).parentObservation(section).observe(() -> {
                });
            }
            section.stop();
        }
        request.end();

        assertThat(named("section").getParentId()).isEqualTo(request.context().spanId());
        assertThat(named("authenticate").getParentId()).as("under the open section, not the request")
            .isEqualTo(named("section").getSpanId());
    }

    @Test
    void anOutgoingCallInsideTheOpenEnclosingObservationIsItsChildAndSaysSoInItsHeaders() {
        Map<String, String> headers = new HashMap<>();
        Span request = tracer.nextSpan().name("request").start();
        try (Tracer.SpanInScope inRequest = tracer.withSpan(request)) {
            Observation section = Observation.start("section", registry);
            try (Observation.Scope sectionScope = section.openScope();
                    Tracer.SpanInScope restored = tracer.withSpan(request)) {
                SenderContext<Map<String, String>> send = new SenderContext<>(Map::put);
                send.setCarrier(headers);
                Observation.createNotStarted("send", () -> send, registry).parentObservation(section).observe(() -> {
                });
            }
            section.stop();
        }
        request.end();

        FinishedSpan send = named("send");
        assertThat(send.getKind()).isEqualTo(Span.Kind.PRODUCER);
        assertThat(send.getParentId()).isEqualTo(named("section").getSpanId());
        assertThat(headers).containsEntry("traceparent", "00-" + send.getTraceId() + "-" + send.getSpanId() + "-01");
    }

    @Test
    void theSearchForTheCurrentSpanGoesUpThroughEnclosingObservations() {
        Span request = tracer.nextSpan().name("request").start();
        try (Tracer.SpanInScope inRequest = tracer.withSpan(request)) {
            Observation section = Observation.start("section", registry);
            Observation filter = Observation.createNotStarted("filter", registry).parentObservation(section).start();
            try (Observation.Scope filterScope = filter.openScope();
                    Tracer.SpanInScope restored = tracer.withSpan(request)) {
                Observation.createNotStarted("authenticate", registry).parentObservation(filter).observe(() -> {
                });
            }
            filter.stop();
            section.stop();
        }
        request.end();

        assertThat(named("filter").getParentId()).isEqualTo(named("section").getSpanId());
        assertThat(named("authenticate").getParentId()).isEqualTo(named("filter").getSpanId());
    }

    @Test
    void aStoppedEnclosingObservationNoLongerEnclosesWhatStartsAfterIt() {
        Span request = tracer.nextSpan().name("request").start();
        try (Tracer.SpanInScope inRequest = tracer.withSpan(request)) {
            Observation section = Observation.start("section", registry);
            section.stop();
            Observation.createNotStarted("secured request", registry).parentObservation(section).observe(() -> {
            });
        }
        request.end();

        assertThat(named("secured request").getParentId()).as("the request's, as Micrometer chooses")
            .isEqualTo(request.context().spanId());
    }

    @Test
    void whatStartsAfterAStoppedSectionWhoseSpanIsStillCurrentBelongsToTheSectionsParent() {
        Span request = tracer.nextSpan().name("request").start();
        try (Tracer.SpanInScope inRequest = tracer.withSpan(request)) {
            Observation chain = Observation.start("chain", registry);
            Observation section = Observation.createNotStarted("section", registry).parentObservation(chain).start();
            // Reactor restored the section's span around a signal, and the section stopped within it
            try (Observation.Scope sectionScope = section.openScope()) {
                section.stop();
                Observation.createNotStarted("secured request", registry).parentObservation(section).observe(() -> {
                });
            }
            chain.stop();
        }
        request.end();

        assertThat(named("secured request").getParentId()).as("a sibling of the stopped section")
            .isEqualTo(named("chain").getSpanId());
    }

    @Test
    void whatStartsWhereAStoppedObservationIsRestoredLaterIsStillItsChild() throws Exception {
        // fire-and-forget work: a task decorator (or Reactor) captured the Observation while it was open and
        // reopens its scope on a worker thread, where the task runs after the Observation stopped
        Span request = tracer.nextSpan().name("request").start();
        Observation placeOrder;
        try (Tracer.SpanInScope inRequest = tracer.withSpan(request)) {
            placeOrder = Observation.start("place-order", registry);
            placeOrder.stop();
        }
        request.end();
        Thread worker = new Thread(() -> {
            try (Observation.Scope restored = placeOrder.openScope()) {
                Observation.createNotStarted("audit", registry).observe(() -> {
                });
            }
        });
        worker.start();
        worker.join(10_000);

        assertThat(named("place-order").getParentId()).isEqualTo(request.context().spanId());
        assertThat(named("audit").getParentId()).as("the task's, whenever it runs")
            .isEqualTo(named("place-order").getSpanId());
    }

    @Test
    void underANoOpRequestObservationWhatStartsAfterAStoppedSectionBelongsToTheSectionsParentSpan() {
        // the request's Observation left out (a no-op, as the ObservationPredicate makes it): nothing above the section
        ObservationRegistry leaving = ObservationRegistry.create();
        leaving.observationConfig()
            .observationHandler(new ObservationSpanHandler(tracer, InstrumentedExchanges.of(true, true, true)))
            .observationPredicate((name, context) -> !"http.server.requests".equals(name));
        Span request = tracer.nextSpan().name("request").start();
        try (Tracer.SpanInScope inRequest = tracer.withSpan(request)) {
            Observation http = Observation.start("http.server.requests", leaving);
            assertThat(http.isNoop()).isTrue();
            Observation section = Observation.createNotStarted("section", leaving).parentObservation(http).start();
            try (Observation.Scope sectionScope = section.openScope()) {
                section.stop();
                Observation.createNotStarted("secured request", leaving).parentObservation(section).observe(() -> {
                });
            }
            http.stop();
        }
        request.end();

        assertThat(named("section").getParentId()).isEqualTo(request.context().spanId());
        assertThat(named("secured request").getParentId()).as("a sibling of the stopped section")
            .isEqualTo(request.context().spanId());
    }

    @Test
    void aSpanTheUserMadeInsideTheObservationStaysTheParent() {
        Observation section = Observation.start("section", registry);
        try (Observation.Scope sectionScope = section.openScope()) {
            Span mine = tracer.nextSpan().name("mine").start();
            try (Tracer.SpanInScope inMine = tracer.withSpan(mine)) {
                Observation.createNotStarted("inner", registry).parentObservation(section).observe(() -> {
                });
            }
            mine.end();
        }
        section.stop();

        assertThat(named("mine").getParentId()).isEqualTo(named("section").getSpanId());
        assertThat(named("inner").getParentId()).isEqualTo(named("mine").getSpanId());
    }

    @Test
    void aCurrentSpanOfAnotherTraceStaysTheParent() {
        Observation section = Observation.start("section", registry);
        Span elsewhere = tracer.nextSpan(null).name("elsewhere").start();
        try (Observation.Scope sectionScope = section.openScope();
                Tracer.SpanInScope inElsewhere = tracer.withSpan(elsewhere)) {
            Observation.createNotStarted("inner", registry).parentObservation(section).observe(() -> {
            });
        }
        elsewhere.end();
        section.stop();

        assertThat(elsewhere.context().traceId()).isNotEqualTo(named("section").getTraceId());
        assertThat(named("inner").getTraceId()).isEqualTo(elsewhere.context().traceId());
        assertThat(named("inner").getParentId()).isEqualTo(elsewhere.context().spanId());
    }

    private FinishedSpan named(String name) {
        return spans.stream()
            .filter(span -> name.equals(span.getName()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no span " + name + " in " + spans));
    }

}
