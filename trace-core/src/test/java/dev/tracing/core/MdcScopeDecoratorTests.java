package dev.tracing.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import io.micrometer.tracing.BaggageInScope;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** What a log line would carry: the MDC while spans and baggage are in scope, and after. */
class MdcScopeDecoratorTests {

    private final List<ExecutorService> executors = new ArrayList<>();

    private Tracer tracer;

    @BeforeEach
    void setUp() {
        MDC.clear();
        tracer = Tracing.newBuilder()
            .currentTraceContext(
                    new ThreadLocalCurrentTraceContext(List.of(new MdcScopeDecorator(List.of("userId")))))
            .correlationFields(List.of("userId"))
            .build();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        MDC.clear();
        for (ExecutorService executor : executors) {
            executor.shutdownNow();
            executor.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aValueSetOnTheCurrentContextIsInTheMdcAtOnceUntilItsScopeCloses() {
        Span parent = tracer.nextSpan().start();
        tracer.createBaggage("userId").set(parent.context(), "alice");
        try (Tracer.SpanInScope ws = tracer.withSpan(parent)) {
            assertThat(MDC.get("userId")).isEqualTo("alice");
            Span child = tracer.nextSpan().start();
            try (Tracer.SpanInScope inner = tracer.withSpan(child)) {
                // the child inherited "alice", so its scope changed nothing in the MDC
                tracer.getBaggage("userId").set("bob");
                assertThat(tracer.getBaggage("userId").get()).isEqualTo("bob");
                assertThat(MDC.get("userId")).isEqualTo("bob");
            }
            // the parent's value again, as its context still holds
            assertThat(MDC.get("userId")).isEqualTo("alice");
            assertThat(tracer.getBaggage("userId").get()).isEqualTo("alice");
            child.end();
        }
        assertThat(MDC.get("userId")).isNull();
        // a context that is not current leaves the MDC alone
        tracer.getBaggage("userId").set(parent.context(), "carol");
        assertThat(MDC.get("userId")).isNull();
        parent.end();
    }

    @Test
    void aFieldListedTwiceLeavesNothingInTheMdcAfterItsScope() {
        tracer = Tracing.newBuilder()
            .currentTraceContext(new ThreadLocalCurrentTraceContext(
                    List.of(new MdcScopeDecorator(List.of("userId", "userId")))))
            .correlationFields(List.of("userId", "userId"))
            .build();
        Span span = tracer.nextSpan().start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span);
                BaggageInScope baggage = tracer.createBaggageInScope("userId", "alice")) {
            assertThat(MDC.get("userId")).isEqualTo("alice");
        }
        assertThat(MDC.get("userId")).isNull();
        span.end();
    }

    private ExecutorService singleThread() {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        executors.add(executor);
        return executor;
    }

    @Test
    void inScopeTheMdcHasTheSpansIds() {
        Span span = tracer.nextSpan().name("span").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            assertThat(MDC.get("traceId")).isEqualTo(span.context().traceId());
            assertThat(MDC.get("spanId")).isEqualTo(span.context().spanId());
        }
        assertThat(MDC.get("traceId")).isNull();
        assertThat(MDC.get("spanId")).isNull();
        assertThat(MDC.getCopyOfContextMap()).isNullOrEmpty();
    }

    @Test
    void nestedScopesRestoreTheOuterIdsExactly() {
        Span outer = tracer.nextSpan().name("outer").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(outer)) {
            Span inner = tracer.nextSpan().name("inner").start();
            try (Tracer.SpanInScope ws2 = tracer.withSpan(inner)) {
                assertThat(MDC.get("traceId")).isEqualTo(outer.context().traceId());
                assertThat(MDC.get("spanId")).isEqualTo(inner.context().spanId());
                Span otherTrace = tracer.spanBuilder().setNoParent().name("other").start();
                try (Tracer.SpanInScope ws3 = tracer.withSpan(otherTrace)) {
                    assertThat(MDC.get("traceId")).isEqualTo(otherTrace.context().traceId());
                    assertThat(MDC.get("spanId")).isEqualTo(otherTrace.context().spanId());
                }
                assertThat(MDC.get("traceId")).isEqualTo(outer.context().traceId());
                assertThat(MDC.get("spanId")).isEqualTo(inner.context().spanId());
            }
            assertThat(MDC.get("traceId")).isEqualTo(outer.context().traceId());
            assertThat(MDC.get("spanId")).isEqualTo(outer.context().spanId());
        }
        assertThat(MDC.get("traceId")).isNull();
    }

    @Test
    void scopeOfNullClearsTheIdsAndClosingRestoresThem() {
        Span span = tracer.nextSpan().name("span").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            try (Tracer.SpanInScope cleared = tracer.withSpan(null)) {
                assertThat(MDC.get("traceId")).isNull();
                assertThat(MDC.get("spanId")).isNull();
            }
            assertThat(MDC.get("spanId")).isEqualTo(span.context().spanId());
        }
    }

    @Test
    void valuesAUserPutInTheMdcComeBackAfterTheScope() {
        MDC.put("traceId", "user-value");
        MDC.put("requestId", "r-1");
        Span span = tracer.nextSpan().name("span").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            assertThat(MDC.get("traceId")).isEqualTo(span.context().traceId());
            assertThat(MDC.get("requestId")).isEqualTo("r-1");
        }

        assertThat(MDC.getCopyOfContextMap()).isEqualTo(Map.of("traceId", "user-value", "requestId", "r-1"));
    }

    @Test
    void maybeScopeOfTheCurrentContextLeavesTheMdcAsItIs() {
        Span span = tracer.nextSpan().name("span").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            try (CurrentTraceContext.Scope scope = tracer.currentTraceContext().maybeScope(span.context())) {
                assertThat(MDC.get("spanId")).isEqualTo(span.context().spanId());
            }
            assertThat(MDC.get("traceId")).isEqualTo(span.context().traceId());
            assertThat(MDC.get("spanId")).isEqualTo(span.context().spanId());
        }
        assertThat(MDC.get("spanId")).isNull();
    }

    @Test
    void correlationBaggageIsInTheMdcWhileItsScopeIsOpen() {
        MDC.put("userId", "from-the-app");
        Span span = tracer.nextSpan().name("span").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            assertThat(MDC.get("userId")).as("no baggage yet: the span's (absent) value is current").isNull();
            try (BaggageInScope baggage = tracer.createBaggageInScope("userId", "alice")) {
                assertThat(MDC.get("userId")).isEqualTo("alice");
                assertThat(MDC.get("traceId")).isEqualTo(span.context().traceId());
            }
            assertThat(MDC.get("userId")).isNull();
        }
        assertThat(MDC.get("userId")).isEqualTo("from-the-app");
    }

    @Test
    void aScopeThatChangesNothingSharesOneUndoWhenTheMdcHasNoCorrelationValue() {
        // the fields are put back at close even unchanged (a value may be set while the scope is open),
        // without an allocation where there was none to put back
        MdcScopeDecorator decorator = new MdcScopeDecorator(List.of("userId", "region"));
        Span span = tracer.nextSpan().name("span").start();
        MDC.put("region", "eu");
        Runnable first = decorator.decorate(span.context());
        assertThat(first).isNotNull();
        assertThat(MDC.get("region")).as("the span has no region baggage").isNull();
        Runnable second = decorator.decorate(span.context());
        assertThat(decorator.decorate(span.context())).isSameAs(second);
        second.run();
        first.run();
        assertThat(MDC.get("region")).isEqualTo("eu");
        assertThat(MDC.get("traceId")).isNull();
        assertThat(new MdcScopeDecorator(List.of()).decorate(null)).isNull();
    }

    @Test
    void nestedBaggageScopesRestoreTheOuterValue() {
        Span span = tracer.nextSpan().name("span").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            try (BaggageInScope outer = tracer.createBaggageInScope("userId", "alice")) {
                try (BaggageInScope inner = tracer.createBaggageInScope("userId", "bob")) {
                    assertThat(MDC.get("userId")).isEqualTo("bob");
                    assertThat(tracer.getBaggage("userId").get()).isEqualTo("bob");
                }
                assertThat(MDC.get("userId")).isEqualTo("alice");
                assertThat(tracer.getBaggage("userId").get()).isEqualTo("alice");
            }
            assertThat(MDC.get("userId")).isNull();
        }
    }

    @Test
    void childSpanInScopeCarriesItsParentsCorrelationBaggage() {
        Span parent = tracer.nextSpan().name("parent").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(parent);
                BaggageInScope baggage = tracer.createBaggageInScope("userId", "alice")) {
            Span child = tracer.nextSpan().name("child").start();
            try (Tracer.SpanInScope ws2 = tracer.withSpan(child)) {
                assertThat(MDC.get("spanId")).isEqualTo(child.context().spanId());
                assertThat(MDC.get("userId")).isEqualTo("alice");
            }
            assertThat(MDC.get("spanId")).isEqualTo(parent.context().spanId());
            assertThat(MDC.get("userId")).isEqualTo("alice");
        }
        assertThat(MDC.getCopyOfContextMap()).isNullOrEmpty();
    }

    @Test
    void nonCorrelationBaggageNeverReachesTheMdc() {
        Span span = tracer.nextSpan().name("span").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span);
                BaggageInScope baggage = tracer.createBaggageInScope("tenant", "acme")) {
            assertThat(tracer.getAllBaggage()).containsEntry("tenant", "acme");
            assertThat(MDC.get("tenant")).isNull();
        }
    }

    @Test
    void tasksOfAWrappedExecutorServiceLogWithTheSubmittersIdsAndLeaveTheWorkerClean() throws Exception {
        ExecutorService raw = singleThread();
        ExecutorService wrapped = tracer.currentTraceContext().wrap(raw);
        Span span = tracer.nextSpan().name("span").start();
        Map<String, String> seen;
        try (Tracer.SpanInScope ws = tracer.withSpan(span);
                BaggageInScope baggage = tracer.createBaggageInScope("userId", "alice")) {
            seen = wrapped.submit(MDC::getCopyOfContextMap).get(5, TimeUnit.SECONDS);
        }

        assertThat(seen).containsEntry("traceId", span.context().traceId())
            .containsEntry("spanId", span.context().spanId())
            .containsEntry("userId", "alice");
        assertThat(raw.submit(MDC::getCopyOfContextMap).get(5, TimeUnit.SECONDS)).isNullOrEmpty();
        assertThat(raw.submit(tracer::currentSpan).get(5, TimeUnit.SECONDS)).isNull();
        // a task submitted outside any span sees no ids either
        assertThat(wrapped.submit(() -> MDC.get("traceId")).get(5, TimeUnit.SECONDS)).isNull();
    }

    @Test
    void theWorkersOwnMdcValuesComeBackAfterAWrappedTask() throws Exception {
        ExecutorService raw = singleThread();
        raw.submit(() -> MDC.put("traceId", "worker-value")).get(5, TimeUnit.SECONDS);
        ExecutorService wrapped = tracer.currentTraceContext().wrap(raw);
        Span span = tracer.nextSpan().name("span").start();
        String inTask;
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            inTask = wrapped.submit(() -> MDC.get("traceId")).get(5, TimeUnit.SECONDS);
        }

        assertThat(inTask).isEqualTo(span.context().traceId());
        assertThat(raw.submit(() -> MDC.get("traceId")).get(5, TimeUnit.SECONDS)).isEqualTo("worker-value");
    }

    @Test
    void decoratorWithNothingToChangeReturnsNoUndo() {
        MdcScopeDecorator decorator = new MdcScopeDecorator(List.of());

        assertThat(decorator.decorate(null)).isNull();
        assertThat(MDC.getCopyOfContextMap()).isNullOrEmpty();
        assertThat(decorator.correlationFields()).isEmpty();
    }

    @Test
    void scopesOnAThreadWithoutIdsShareOneUndoThatLeavesTheMdcAsItWas() {
        MdcScopeDecorator decorator = new MdcScopeDecorator(List.of("userId"));
        MDC.put("requestId", "kept");
        TraceContext first = SpanContext.create(1L, 2L, 0L, 3L, true, false);
        TraceContext second = SpanContext.create(4L, 5L, 0L, 6L, true, false);

        Runnable undoFirst = decorator.decorate(first);
        assertThat(MDC.get("spanId")).isEqualTo(first.spanId());
        undoFirst.run();
        Runnable undoSecond = decorator.decorate(second);
        assertThat(MDC.get("traceId")).isEqualTo(second.traceId());
        undoSecond.run();

        assertThat(undoSecond).isSameAs(undoFirst);
        assertThat(MDC.getCopyOfContextMap()).isEqualTo(Map.of("requestId", "kept"));
    }

    @Test
    void aScopeOverAnotherTracesIdsPutsThemBack() {
        MdcScopeDecorator decorator = new MdcScopeDecorator(List.of());
        TraceContext outer = SpanContext.create(1L, 2L, 0L, 3L, true, false);
        TraceContext inner = SpanContext.create(4L, 5L, 0L, 6L, true, false);

        Runnable undoOuter = decorator.decorate(outer);
        Runnable undoInner = decorator.decorate(inner);
        assertThat(undoInner).isNotSameAs(undoOuter);
        undoInner.run();

        assertThat(MDC.get("traceId")).isEqualTo(outer.traceId());
        assertThat(MDC.get("spanId")).isEqualTo(outer.spanId());
        undoOuter.run();
        assertThat(MDC.getCopyOfContextMap()).isNullOrEmpty();
    }

    @Test
    void correlationFieldsMustBeNamesThatDoNotShadowTheIds() {
        assertThatIllegalArgumentException().isThrownBy(() -> new MdcScopeDecorator(List.of("traceId")))
            .withMessageContaining("must not name traceId or spanId");
        assertThatIllegalArgumentException().isThrownBy(() -> new MdcScopeDecorator(List.of("tenant", " ")))
            .withMessage("must not contain blank names");
    }
}
