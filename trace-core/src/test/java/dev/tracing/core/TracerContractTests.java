package dev.tracing.core;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.micrometer.tracing.Baggage;
import io.micrometer.tracing.BaggageInScope;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.test.simple.SpansAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenarios every Micrometer Tracing {@link Tracer} must pass, run against this project's tracer
 * and against Micrometer's {@code SimpleTracer} as the reference. Only behaviour on which the two
 * agree belongs here; where the reference differs (scoped spans, explicit end, wrapping, sampling
 * that records nothing, exact root parent id), the scenario lives in {@link TraceTracerTests}.
 */
abstract class TracerContractTests {

    /** A tracer under test and how to read the spans it finished. */
    interface TracerUnderTest {

        Tracer tracer();

        List<FinishedSpan> finishedSpans();

        /** Leaves no current span on this thread (the reference tracer keeps it in a static). */
        default void cleanUp() {
            tracer().withSpan(null).close();
        }

    }

    /** Creates a fresh tracer with nothing in scope and nothing finished. */
    protected abstract TracerUnderTest newTracer();

    TracerUnderTest under;

    Tracer tracer;

    @BeforeEach
    void setUp() {
        under = newTracer();
        tracer = under.tracer();
    }

    @AfterEach
    void tearDown() {
        under.cleanUp();
    }

    List<FinishedSpan> finished() {
        return under.finishedSpans();
    }

    FinishedSpan finishedNamed(String name) {
        return finished().stream()
            .filter(s -> name.equals(s.getName()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no finished span named " + name + " in " + finished()));
    }

    static final String TRACE_ID = "463ac35c9f6413ad48485a3953bb6124";

    static final String SPAN_ID = "a2fb4a1d1a96d312";

    // ---- Parenting ----
    @Test
    void nextSpanUnderWithSpanIsAChildOfTheSpanInScope() {
        Span parent = tracer.nextSpan().name("parent").start();
        Span child;
        try (Tracer.SpanInScope ws = tracer.withSpan(parent)) {
            child = tracer.nextSpan().name("child").start();
            child.end();
        }
        parent.end();

        assertThat(child.context().traceId()).isEqualTo(parent.context().traceId());
        assertThat(child.context().parentId()).isEqualTo(parent.context().spanId());
        assertThat(child.context().spanId()).isNotEqualTo(parent.context().spanId());
        SpansAssert.assertThat(finished()).hasNumberOfSpansEqualTo(2)
            .haveSameTraceId()
            .hasASpanWithName("child", s -> s.hasParentIdEqualTo(parent.context().spanId())
                .hasTraceIdEqualTo(parent.context().traceId()));
    }

    @Test
    void nextSpanWithAnExplicitParentIsItsChild() {
        Span parent = tracer.nextSpan().name("parent").start();
        Span child = tracer.nextSpan(parent).name("child").start();
        child.end();
        parent.end();

        SpansAssert.assertThat(finished()).hasASpanWithName("child",
                s -> s.hasParentIdEqualTo(parent.context().spanId())
                    .hasTraceIdEqualTo(parent.context().traceId())
                    .hasSpanIdEqualTo(child.context().spanId()));
    }

    @Test
    void nextSpanWithAnExplicitParentIgnoresTheSpanInScope() {
        Span explicitParent = tracer.nextSpan().name("explicit").start();
        Span inScope = tracer.nextSpan().name("in-scope").start();
        Span child;
        try (Tracer.SpanInScope ws = tracer.withSpan(inScope)) {
            child = tracer.nextSpan(explicitParent).name("child").start();
            child.end();
        }

        assertThat(child.context().parentId()).isEqualTo(explicitParent.context().spanId());
        assertThat(child.context().traceId()).isEqualTo(explicitParent.context().traceId());
    }

    @Test
    void rootSpanHasNoParentId() {
        Span root = tracer.nextSpan().name("root").start();
        root.end();

        // the reference tracer reports "" for a root; ours reports null (see TraceTracerTests)
        assertThat(root.context().parentId()).isNullOrEmpty();
        assertThat(finishedNamed("root").getParentId()).isNullOrEmpty();
        assertThat(root.context().traceId()).isNotBlank();
        assertThat(root.context().spanId()).isNotBlank();
    }

    @Test
    void twoRootsAreDifferentTraces() {
        Span first = tracer.nextSpan().name("first").start();
        Span second = tracer.nextSpan().name("second").start();

        assertThat(first.context().traceId()).isNotEqualTo(second.context().traceId());
    }

    @Test
    void spanBuilderSetParentMakesAChildOfThatContext() {
        Span parent = tracer.nextSpan().name("parent").start();
        Span child = tracer.spanBuilder().setParent(parent.context()).name("child").start();
        child.end();

        assertThat(child.context().traceId()).isEqualTo(parent.context().traceId());
        assertThat(child.context().parentId()).isEqualTo(parent.context().spanId());
        SpansAssert.assertThat(finished()).hasASpanWithName("child", s -> s.hasParentIdEqualTo(parent.context().spanId()));
    }

    @Test
    void spanBuilderSetNoParentStartsANewTraceEvenWithASpanInScope() {
        Span inScope = tracer.nextSpan().name("in-scope").start();
        Span root;
        try (Tracer.SpanInScope ws = tracer.withSpan(inScope)) {
            root = tracer.spanBuilder().setNoParent().name("root").start();
            root.end();
        }

        assertThat(root.context().parentId()).isNullOrEmpty();
        assertThat(root.context().traceId()).isNotEqualTo(inScope.context().traceId());
        assertThat(finishedNamed("root").getParentId()).isNullOrEmpty();
    }

    @Test
    void spanBuilderSetParentWithAContextFromTheContextBuilder() {
        TraceContext remote = tracer.traceContextBuilder()
            .traceId(TRACE_ID)
            .spanId(SPAN_ID)
            .sampled(true)
            .build();

        Span child = tracer.spanBuilder().setParent(remote).name("child").start();
        child.end();

        assertThat(child.context().traceId()).isEqualTo(TRACE_ID);
        assertThat(child.context().parentId()).isEqualTo(SPAN_ID);
        assertThat(child.context().sampled()).isTrue();
        SpansAssert.assertThat(finished()).hasASpanWithName("child",
                s -> s.hasTraceIdEqualTo(TRACE_ID).hasParentIdEqualTo(SPAN_ID));
    }

    // ---- Scoping ----
    @Test
    void noCurrentSpanOutsideAnyScope() {
        assertThat(tracer.currentSpan()).isNull();
        assertThat(tracer.currentTraceContext().context()).isNull();
    }

    @Test
    void currentSpanIsTheSpanInScopeAndNullAfter() {
        Span span = tracer.nextSpan().name("span").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            assertThat(tracer.currentSpan()).isNotNull();
            assertThat(tracer.currentSpan().context().spanId()).isEqualTo(span.context().spanId());
            assertThat(tracer.currentSpan().context().traceId()).isEqualTo(span.context().traceId());
            assertThat(tracer.currentTraceContext().context().spanId()).isEqualTo(span.context().spanId());
        }
        assertThat(tracer.currentSpan()).isNull();
        assertThat(tracer.currentTraceContext().context()).isNull();
    }

    @Test
    void currentSpanEqualsTheSpanPutInScope() {
        Span span = tracer.nextSpan().name("span").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            assertThat(tracer.currentSpan()).isEqualTo(span);
            assertThat(tracer.currentSpan().hashCode()).isEqualTo(span.hashCode());
        }
    }

    @Test
    void taggingTheCurrentSpanLandsInTheSpanPutInScope() {
        Span span = tracer.nextSpan().name("span").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            tracer.currentSpan().tag("via", "currentSpan");
            tracer.currentSpanCustomizer().tag("via2", "customizer");
        }
        span.end();

        SpansAssert.assertThat(finished()).hasNumberOfSpansEqualTo(1)
            .hasASpanWithName("span", s -> s.hasTag("via", "currentSpan").hasTag("via2", "customizer"));
    }

    @Test
    void nestedWithSpanRestoresTheOuterSpan() {
        Span outer = tracer.nextSpan().name("outer").start();
        Span inner = tracer.nextSpan().name("inner").start();
        try (Tracer.SpanInScope ws1 = tracer.withSpan(outer)) {
            try (Tracer.SpanInScope ws2 = tracer.withSpan(inner)) {
                assertThat(tracer.currentSpan().context().spanId()).isEqualTo(inner.context().spanId());
            }
            assertThat(tracer.currentSpan().context().spanId()).isEqualTo(outer.context().spanId());
        }
        assertThat(tracer.currentSpan()).isNull();
    }

    @Test
    void withSpanNullClearsTheCurrentSpan() {
        Span outer = tracer.nextSpan().name("outer").start();
        try (Tracer.SpanInScope ws1 = tracer.withSpan(outer)) {
            try (Tracer.SpanInScope ws2 = tracer.withSpan(null)) {
                assertThat(tracer.currentSpan()).isNull();
                assertThat(tracer.currentTraceContext().context()).isNull();
                Span root = tracer.nextSpan().name("root").start();
                assertThat(root.context().parentId()).isNullOrEmpty();
                assertThat(root.context().traceId()).isNotEqualTo(outer.context().traceId());
            }
        }
    }

    @Test
    void maybeScopeNullClearsTheCurrentContext() {
        Span outer = tracer.nextSpan().name("outer").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(outer)) {
            try (CurrentTraceContext.Scope scope = tracer.currentTraceContext().maybeScope(null)) {
                assertThat(tracer.currentTraceContext().context()).isNull();
                assertThat(tracer.currentSpan()).isNull();
            }
        }
    }

    @Test
    void newScopeMakesTheContextCurrentAndRestoresThePreviousOnClose() {
        Span outer = tracer.nextSpan().name("outer").start();
        Span other = tracer.nextSpan().name("other").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(outer)) {
            try (CurrentTraceContext.Scope scope = tracer.currentTraceContext().newScope(other.context())) {
                assertThat(tracer.currentTraceContext().context().spanId()).isEqualTo(other.context().spanId());
                assertThat(tracer.currentSpan().context().spanId()).isEqualTo(other.context().spanId());
            }
            assertThat(tracer.currentTraceContext().context().spanId()).isEqualTo(outer.context().spanId());
        }
        assertThat(tracer.currentTraceContext().context()).isNull();
    }

    @Test
    void maybeScopeOfAnotherContextRestoresThePreviousOnClose() {
        Span outer = tracer.nextSpan().name("outer").start();
        Span other = tracer.nextSpan().name("other").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(outer)) {
            try (CurrentTraceContext.Scope scope = tracer.currentTraceContext().maybeScope(other.context())) {
                assertThat(tracer.currentSpan().context().spanId()).isEqualTo(other.context().spanId());
            }
            assertThat(tracer.currentSpan().context().spanId()).isEqualTo(outer.context().spanId());
        }
    }

    @Test
    void maybeScopeOfTheCurrentContextChangesNothing() {
        Span outer = tracer.nextSpan().name("outer").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(outer)) {
            try (CurrentTraceContext.Scope scope = tracer.currentTraceContext().maybeScope(outer.context())) {
                assertThat(tracer.currentSpan().context().spanId()).isEqualTo(outer.context().spanId());
            }
            // closing the no-op scope must not clear the outer one
            assertThat(tracer.currentSpan().context().spanId()).isEqualTo(outer.context().spanId());
        }
        assertThat(tracer.currentSpan()).isNull();
    }

    // ---- Recording ----
    @Test
    void tagsEventsErrorNameAndRemoteEndpointAreInTheFinishedSpan() {
        IllegalStateException boom = new IllegalStateException("boom");
        Span span = tracer.nextSpan().name("before").start();
        span.name("after");
        span.tag("http.request.method", "GET");
        span.tag("http.response.status_code", "500");
        span.event("retry");
        span.event("timed", 1_700_000_000_000_123L, TimeUnit.MICROSECONDS);
        span.error(boom);
        span.remoteServiceName("inventory");
        span.remoteIpAndPort("10.1.2.3", 8443);
        span.end();

        SpansAssert.assertThat(finished()).hasNumberOfSpansEqualTo(1)
            .hasASpanWithRemoteServiceName("inventory")
            .hasASpanWithName("after",
                    s -> s.hasTag("http.request.method", "GET")
                        .hasTag("http.response.status_code", "500")
                        .hasEventWithNameEqualTo("retry")
                        .hasEventWithNameEqualTo("timed")
                        .hasRemoteServiceNameEqualTo("inventory")
                        .hasIpEqualTo("10.1.2.3")
                        .hasPortEqualTo(8443)
                        .isStarted()
                        .isEnded());
        FinishedSpan finished = finishedNamed("after");
        assertThat(finished.getError()).isSameAs(boom);
        assertThat(finished.getEvents()).anySatisfy(e -> {
            assertThat(e.getKey()).isEqualTo(1_700_000_000_000_123L);
            assertThat(e.getValue()).isEqualTo("timed");
        });
    }

    @Test
    void builderKindTagsEventsAndRemoteEndpointAreInTheFinishedSpan() {
        RuntimeException boom = new RuntimeException("boom");
        Span span = tracer.spanBuilder()
            .setNoParent()
            .name("GET /api/users/{id}")
            .kind(Span.Kind.CLIENT)
            .tag("http.route", "/api/users/{id}")
            .event("queued")
            .error(boom)
            .remoteServiceName("users")
            .remoteIpAndPort("192.168.0.7", 9090)
            .start();
        span.end();

        SpansAssert.assertThat(finished()).hasASpanWithName("GET /api/users/{id}",
                s -> s.hasKindEqualTo(Span.Kind.CLIENT)
                    .hasTag("http.route", "/api/users/{id}")
                    .hasEventWithNameEqualTo("queued")
                    .hasRemoteServiceNameEqualTo("users")
                    .hasIpEqualTo("192.168.0.7")
                    .hasPortEqualTo(9090));
        assertThat(finishedNamed("GET /api/users/{id}").getError()).isSameAs(boom);
    }

    @Test
    void explicitStartTimestampIsRecordedExactly() {
        long startMillis = 1_700_000_000_123L;
        Span span = tracer.spanBuilder()
            .setNoParent()
            .name("explicit-start")
            .startTimestamp(startMillis, TimeUnit.MILLISECONDS)
            .start();
        span.end();

        assertThat(finishedNamed("explicit-start").getStartTimestamp())
            .isEqualTo(Instant.ofEpochMilli(startMillis));
    }

    @Test
    void startAndEndAreCloseToNow() {
        Instant before = Instant.now().minusSeconds(1);
        Span span = tracer.nextSpan().name("now").start();
        span.end();
        Instant after = Instant.now().plusSeconds(1);

        FinishedSpan finished = finishedNamed("now");
        assertThat(finished.getStartTimestamp()).isBetween(before, after);
        assertThat(finished.getEndTimestamp()).isBetween(before, after);
        assertThat(finished.getEndTimestamp()).isAfterOrEqualTo(finished.getStartTimestamp());
    }

    @Test
    void linksAddedOnTheBuilderAreInTheFinishedSpan() {
        Span linked = tracer.nextSpan().name("linked").start();
        Link link = new Link(linked.context(), Map.of("reason", "batch"));
        Span span = tracer.spanBuilder().setNoParent().name("with-link").addLink(link).start();
        span.end();

        SpansAssert.assertThat(finished()).hasASpanWithName("with-link", s -> s.hasLink(link));
        List<Link> links = finishedNamed("with-link").getLinks();
        assertThat(links).hasSize(1);
        assertThat(links.get(0).getTraceContext().spanId()).isEqualTo(linked.context().spanId());
        assertThat(links.get(0).getTraceContext().traceId()).isEqualTo(linked.context().traceId());
        assertThat(links.get(0).getTags()).containsEntry("reason", "batch");
    }

    @Test
    void aSpanNeverEndedIsNotFinished() {
        tracer.nextSpan().name("open").start();

        assertThat(finished()).extracting(FinishedSpan::getName).doesNotContain("open");
    }

    // ---- Baggages ----
    @Test
    void baggageInScopeIsVisibleInsideAndGoneAfterClose() {
        Span span = tracer.nextSpan().name("span").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            try (BaggageInScope baggage = tracer.createBaggageInScope("tenant", "acme")) {
                assertThat(baggage.name()).isEqualTo("tenant");
                assertThat(baggage.get()).isEqualTo("acme");
                assertThat(tracer.getBaggage("tenant").get()).isEqualTo("acme");
                assertThat(tracer.getBaggage(span.context(), "tenant").get()).isEqualTo("acme");
                assertThat(tracer.getAllBaggage()).containsEntry("tenant", "acme");
                assertThat(tracer.getAllBaggage(span.context())).containsEntry("tenant", "acme");
            }
            assertThat(valueOf(tracer.getBaggage("tenant"))).isNull();
            assertThat(tracer.getAllBaggage()).doesNotContainKey("tenant");
        }
    }

    @Test
    void allBaggageOfANullContextIsTheCurrentOnes() {
        // BaggageManager#getAllBaggage(TraceContext): "If null will try to get all baggage from current available context"
        Span span = tracer.nextSpan().name("span").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span);
                BaggageInScope baggage = tracer.createBaggageInScope("tenant", "acme")) {
            assertThat(tracer.getAllBaggage(null)).containsEntry("tenant", "acme");
        }
        span.end();
    }

    @Test
    void twoBaggageFieldsAreBothVisible() {
        Span span = tracer.nextSpan().name("span").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span);
                BaggageInScope b1 = tracer.createBaggageInScope("tenant", "acme");
                BaggageInScope b2 = tracer.createBaggageInScope("region", "eu")) {
            assertThat(tracer.getAllBaggage()).containsEntry("tenant", "acme").containsEntry("region", "eu");
        }
    }

    @Test
    void getBaggageOfAnUnknownNameIsNeverNull() {
        // Micrometer's BaggageManager#getBaggage(String) is non-null: "baggage if present or
        // creates a new one if missing with null value"
        Span span = tracer.nextSpan().name("span").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            Baggage baggage = tracer.getBaggage("never-set");
            assertThat(baggage).isNotNull();
            assertThat(baggage.get()).isNull();
        }
    }

    private String valueOf(Baggage baggage) {
        return baggage == null ? null : baggage.get();
    }

    // ---- SamplingFlags ----
    @Test
    void childOfAnUnsampledContextIsUnsampled() {
        TraceContext unsampled = tracer.traceContextBuilder()
            .traceId(TRACE_ID)
            .spanId(SPAN_ID)
            .sampled(false)
            .build();

        Span child = tracer.spanBuilder().setParent(unsampled).name("child").start();

        assertThat(unsampled.sampled()).isFalse();
        assertThat(child.context().sampled()).isFalse();
        assertThat(child.context().traceId()).isEqualTo(TRACE_ID);
        assertThat(child.context().parentId()).isEqualTo(SPAN_ID);
    }

    @Test
    void childOfASampledContextIsSampledAndFinished() {
        TraceContext sampled = tracer.traceContextBuilder()
            .traceId(TRACE_ID)
            .spanId(SPAN_ID)
            .sampled(true)
            .build();

        Span child = tracer.spanBuilder().setParent(sampled).name("child").start();
        child.end();

        assertThat(child.context().sampled()).isTrue();
        SpansAssert.assertThat(finished()).hasASpanWithName("child",
                s -> s.hasTraceIdEqualTo(TRACE_ID).hasParentIdEqualTo(SPAN_ID).isEnded());
    }

    @Test
    void traceContextBuilderKeepsTheIdsItWasGiven() {
        TraceContext context = tracer.traceContextBuilder()
            .traceId(TRACE_ID)
            .parentId("0000000000000001")
            .spanId(SPAN_ID)
            .sampled(true)
            .build();

        assertThat(context.traceId()).isEqualTo(TRACE_ID);
        assertThat(context.spanId()).isEqualTo(SPAN_ID);
        assertThat(context.parentId()).isEqualTo("0000000000000001");
        assertThat(context.sampled()).isTrue();
    }

}
