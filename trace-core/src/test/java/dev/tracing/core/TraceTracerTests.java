package dev.tracing.core;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

import dev.tracing.internal.HexCodec;
import io.micrometer.tracing.BaggageInScope;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.ScopedSpan;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.test.simple.SpansAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Behaviour of this project's tracer that Micrometer's {@code SimpleTracer} does not share, so it
 * is not in {@link TracerContractTests}: id format, span equality across views, single reporting,
 * unsampled spans that record nothing, monotonic durations, scoped spans, explicit end, wrapping.
 */
class TraceTracerTests {

    private static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");

    private static final Pattern SPAN_ID = Pattern.compile("[0-9a-f]{16}");

    private final List<FinishedSpan> reported = new CopyOnWriteArrayList<>();

    private final List<ExecutorService> executors = new ArrayList<>();

    private TraceTracer tracer = Tracing.newBuilder().serviceName("svc").reporter(reported::add).build();

    @AfterEach
    void shutdownExecutors() throws InterruptedException {
        for (ExecutorService executor : executors) {
            executor.shutdownNow();
            executor.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private ExecutorService singleThread() {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        executors.add(executor);
        return executor;
    }

    private FinishedSpan onlyReported() {
        assertThat(reported).hasSize(1);
        return reported.get(0);
    }

    // ---- ids ----

    @Test
    void onAThreadThatSendsSpansAwayNoTraceStartsButAChildOfAGivenParentIsRecorded() throws Exception {
        Span parent = tracer.nextSpan().name("parent").start();
        Span[] started = new Span[2];
        Thread exporter = new dev.tracing.internal.ExportThread(() -> {
            started[0] = tracer.nextSpan().name("export call").start();
            started[0].end();
            started[1] = tracer.nextSpan(parent).name("child").start();
            started[1].end();
        }, "exporter");
        exporter.start();
        exporter.join();
        parent.end();
        // not recorded, with ids of its own: a call made in it passes on a trace that is not sampled
        assertThat(started[0].isNoop()).isTrue();
        assertThat(started[0].context().sampled()).isFalse();
        assertThat(started[0].context().traceId()).matches(TRACE_ID).isNotEqualTo(parent.context().traceId());
        assertThat(reported).extracting(FinishedSpan::getName).containsExactly("child", "parent");
    }

    @Test
    void idsAreLowerCaseHexOfTheRightLengthAndNeverZero() {
        Set<String> traceIds = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            Span root = tracer.nextSpan().start();
            Span child = tracer.nextSpan(root).start();
            for (TraceContext context : List.of(root.context(), child.context())) {
                assertThat(context.traceId()).matches(TRACE_ID).isNotEqualTo("0".repeat(32));
                assertThat(context.spanId()).matches(SPAN_ID).isNotEqualTo("0".repeat(16));
            }
            assertThat(child.context().parentId()).matches(SPAN_ID);
            traceIds.add(root.context().traceId());
        }
        assertThat(traceIds).hasSize(2000);
    }

    @Test
    void rootParentIdIsNullNotEmpty() {
        Span root = tracer.nextSpan().name("root").start();
        root.end();

        assertThat(root.context().parentId()).isNull();
        assertThat(onlyReported().getParentId()).isNull();
    }

    @Test
    void finishedSpanCarriesTheServiceName() {
        tracer.nextSpan().name("span").start().end();

        assertThat(onlyReported().getLocalServiceName()).isEqualTo("svc");
    }

    @Test
    void builderDefaults() {
        List<FinishedSpan> spans = new ArrayList<>();
        TraceTracer plain = Tracing.newBuilder().reporter(spans::add).build();
        // a caller's "not sampled" is kept, and the service is named as Spring Boot names it
        plain.spanBuilder().setParent(plain.traceContextBuilder().traceId("5bf92f3577b34da6a3ce929d0e0e4736")
            .spanId("00f067aa0ba902b7").sampled(false).build()).name("child").start().end();
        plain.nextSpan().name("root").start().end();
        assertThat(Tracing.DEFAULT_RESPECT_INCOMING).isTrue();
        assertThat(spans).extracting(FinishedSpan::getName).containsExactly("root");
        assertThat(spans.get(0).getLocalServiceName()).isEqualTo(Tracing.DEFAULT_SERVICE_NAME).isEqualTo("application");
    }

    @Test
    void aContextBuiltFromIdsIsContinuedAsAnIncomingOne() {
        // ids that arrived outside a header are a caller's, like a header's: its decision is only a request
        // when this service decides for itself, the child is a local root, and a keep policy sees its trace
        List<FinishedSpan> spans = new ArrayList<>();
        TraceTracer deciding = Tracing.newBuilder().respectIncoming(false).sampler(Sampler.NEVER_SAMPLE)
            .reporter(spans::add).build();
        TraceContext asked = deciding.traceContextBuilder().traceId("463ac35c9f6413ad48485a3953bb6124")
            .spanId("a2fb4a1d1a96d312").sampled(true).build();
        assertThat(deciding.spanBuilder().setParent(asked).start().context().sampled()).isFalse();

        TraceTracer keeping = Tracing.newBuilder().sampler(Sampler.NEVER_SAMPLE)
            .keep(KeepPolicy.builder().errors(true).rateLimit(0).build()).reporter(spans::add).build();
        TraceContext unsampled = keeping.traceContextBuilder().traceId("463ac35c9f6413ad48485a3953bb6124")
            .spanId("a2fb4a1d1a96d312").sampled(false).build();
        keeping.spanBuilder().setParent(unsampled).name("failed").start().error(new IllegalStateException("boom"))
            .end();
        assertThat(spans).extracting(FinishedSpan::getName).containsExactly("failed");
        assertThat(spans.get(0).getParentId()).isEqualTo("a2fb4a1d1a96d312");
    }

    @Test
    void spanBuilderWithoutParentIsAChildOfTheCurrentSpan() {
        // SimpleTracer's builder starts a root here; ours follows Tracer#nextSpan()
        Span parent = tracer.nextSpan().name("parent").start();
        Span child;
        try (Tracer.SpanInScope ws = tracer.withSpan(parent)) {
            child = tracer.spanBuilder().name("child").start();
        }

        assertThat(child.context().traceId()).isEqualTo(parent.context().traceId());
        assertThat(child.context().parentId()).isEqualTo(parent.context().spanId());
    }

    @Test
    void spanBuilderSetParentNullMakesARoot() {
        Span parent = tracer.nextSpan().name("parent").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(parent)) {
            Span root = tracer.spanBuilder().setParent(null).name("root").start();
            assertThat(root.context().parentId()).isNull();
            assertThat(root.context().traceId()).isNotEqualTo(parent.context().traceId());
        }
    }

    // ---- equality ----

    @Test
    void spanEqualityFollowsTheContext() {
        Span span = tracer.nextSpan().name("span").start();
        Span other = tracer.nextSpan().name("other").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            Span view = tracer.currentSpan();
            assertThat(view).isNotSameAs(span).isEqualTo(span).hasSameHashCodeAs(span);
            assertThat(view).isNotEqualTo(other);
            assertThat(new HashSet<>(List.of(span, view, tracer.currentSpan()))).hasSize(1);
        }
    }

    @Test
    void aViewOfTheCurrentSpanWritesToTheSameFinishedSpan() {
        Span span = tracer.nextSpan().name("span").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            tracer.currentSpan().tag("a", "1").name("renamed");
            tracer.currentSpanCustomizer().tag("b", "2").event("e");
        }
        span.end();

        SpansAssert.assertThat(reported).hasNumberOfSpansEqualTo(1)
            .hasASpanWithName("renamed", s -> s.hasTag("a", "1").hasTag("b", "2").hasEventWithNameEqualTo("e"));
    }

    @Test
    void endingTheCurrentSpanViewEndsTheSpanOnce() {
        Span span = tracer.nextSpan().name("span").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            tracer.currentSpan().end();
        }
        span.end();

        assertThat(reported).hasSize(1);
    }

    // ---- reporting ----

    @Test
    void aSpanEndedTwiceIsReportedOnce() {
        Span span = tracer.nextSpan().name("twice").start();
        span.end();
        span.end();
        span.end(System.currentTimeMillis(), TimeUnit.MILLISECONDS);

        assertThat(reported).hasSize(1);
    }

    @Test
    void writesAfterEndAreIgnored() {
        Span span = tracer.nextSpan().name("done").start();
        span.end();
        span.tag("late", "x").name("late-name").event("late-event");

        FinishedSpan finished = onlyReported();
        assertThat(finished.getName()).isEqualTo("done");
        assertThat(finished.getTags()).doesNotContainKey("late");
        assertThat(finished.getEvents()).isEmpty();
    }

    @Test
    void abandonReportsNothing() {
        Span span = tracer.nextSpan().name("abandoned").start();
        span.tag("k", "v");
        span.abandon();
        span.end();

        assertThat(reported).isEmpty();
    }

    @Test
    void aThrowingReporterNeverReachesTheCaller() {
        TraceTracer failing = Tracing.newBuilder().reporter(span -> {
            throw new IllegalStateException("reporter down");
        }).build();
        Span span = failing.nextSpan().name("span").start();

        assertThatCode(span::end).doesNotThrowAnyException();
        // the span is still ended: a second end does not report (or throw) again
        assertThatCode(span::end).doesNotThrowAnyException();
    }

    @Test
    void nextSpanOfANullParentIsAChildOfTheCurrentSpanAsNextSpanIs() {
        // Micrometer's contract, and the Brave and OpenTelemetry bridges: a null parent acts as nextSpan()
        Span parent = tracer.nextSpan().name("parent").start();
        Span child;
        try (Tracer.SpanInScope scope = tracer.withSpan(parent)) {
            child = tracer.nextSpan(null);
        }
        assertThat(child.context().traceId()).isEqualTo(parent.context().traceId());
        assertThat(child.context().parentId()).isEqualTo(parent.context().spanId());
        parent.end();
    }

    @Test
    void baggageOfAContextTheTracerCannotReadIsNoneNotTheCurrentSpans() {
        TraceTracer correlating = Tracing.newBuilder().serviceName("svc").reporter(reported::add)
            .remoteFields(List.of("tenant")).build();
        Span span = correlating.nextSpan().name("current").start();
        try (Tracer.SpanInScope ws = correlating.withSpan(span);
                BaggageInScope tenant = correlating.createBaggageInScope("tenant", "t1")) {
            assertThat(correlating.getBaggage(TraceContext.NOOP, "tenant").get()).isNull();
            correlating.getBaggage(TraceContext.NOOP, "tenant").set("evil");
            assertThat(correlating.getAllBaggage()).containsEntry("tenant", "t1");
        }
        span.end();
    }

    @Test
    void aSamplerThatThrowsNeverReachesTheCallerAndRecordsNothing() {
        tracer = Tracing.newBuilder().sampler(new Sampler() {
            @Override
            public boolean isSampled(long traceIdHigh, long traceIdLow) {
                throw new IllegalStateException("sampler broke");
            }
        }).reporter(reported::add).build();
        assertThatCode(() -> tracer.nextSpan().name("root").start().end()).doesNotThrowAnyException();
        assertThatCode(() -> tracer.spanBuilder().name("built").start().end()).doesNotThrowAnyException();
        assertThat(reported).isEmpty();
    }

    @Test
    void aReporterThatThrowsAnErrorNeverReachesTheCaller() {
        TraceTracer failing = Tracing.newBuilder().reporter(span -> {
            throw new AssertionError("reporter broke");
        }).build();
        Span span = failing.nextSpan().name("span").start();
        assertThatCode(span::end).doesNotThrowAnyException();
    }

    // ---- sampling ----

    @Test
    void unsampledSpanIsNoopAndReportsNothing() {
        tracer = Tracing.newBuilder().sampler(Sampler.NEVER_SAMPLE).reporter(reported::add).build();
        Span root = tracer.nextSpan().name("root").start();
        root.tag("k", "v");
        Span child = tracer.nextSpan(root).name("child").start();
        Span grandChild;
        try (Tracer.SpanInScope ws = tracer.withSpan(child)) {
            // the unsampled context is still current, so it propagates sampled=0 downstream
            assertThat(tracer.currentSpan()).isNotNull();
            assertThat(tracer.currentSpan().context().sampled()).isFalse();
            grandChild = tracer.nextSpan().name("grand-child").start();
        }
        grandChild.end();
        child.end();
        root.end();

        assertThat(root.isNoop()).isTrue();
        assertThat(root.context().sampled()).isFalse();
        assertThat(child.isNoop()).isTrue();
        assertThat(child.context().sampled()).isFalse();
        assertThat(child.context().parentId()).isEqualTo(root.context().spanId());
        assertThat(grandChild.isNoop()).isTrue();
        assertThat(grandChild.context().sampled()).isFalse();
        assertThat(grandChild.context().traceId()).isEqualTo(root.context().traceId()).matches(TRACE_ID);
        assertThat(reported).isEmpty();
    }

    @Test
    void childOfAnUnsampledRemoteContextReportsNothing() {
        TraceContext unsampled = tracer.traceContextBuilder()
            .traceId("463ac35c9f6413ad48485a3953bb6124")
            .spanId("a2fb4a1d1a96d312")
            .sampled(false)
            .build();
        Span child = tracer.spanBuilder().setParent(unsampled).name("child").start();
        child.tag("k", "v");
        child.end();

        assertThat(child.isNoop()).isTrue();
        assertThat(child.context().sampled()).isFalse();
        assertThat(reported).isEmpty();
    }

    @Test
    void sampledSpanIsNotNoop() {
        Span span = tracer.nextSpan().start();

        assertThat(span.isNoop()).isFalse();
        assertThat(span.context().sampled()).isTrue();
    }

    @Test
    void debugFlagImpliesSampledEvenWhenTheSamplerSaysNo() {
        tracer = Tracing.newBuilder().sampler(Sampler.NEVER_SAMPLE).reporter(reported::add).build();
        SpanContext debugParent = SpanContext.create(1L, 2L, 0L, 3L, null, true);

        assertThat(debugParent.sampled()).isTrue();
        assertThat(debugParent.isDebug()).isTrue();

        Span child = tracer.spanBuilder().setParent(debugParent).name("child").start();
        child.end();

        assertThat(child.context().sampled()).isTrue();
        assertThat(child.isNoop()).isFalse();
        assertThat(((SpanContext) child.context()).isDebug()).isTrue();
        assertThat(onlyReported().getParentId()).isEqualTo(HexCodec.toHex64(3L));
    }

    @Test
    void debugSamplingFlagsWithoutIdsStartASampledRoot() {
        tracer = Tracing.newBuilder().sampler(Sampler.NEVER_SAMPLE).reporter(reported::add).build();
        SpanContext flagsOnly = SpanContext.samplingFlagsOnly(null, true);

        Span root = tracer.spanBuilder().setParent(flagsOnly).name("root").start();
        root.end();

        assertThat(root.context().sampled()).isTrue();
        assertThat(root.context().parentId()).isNull();
        assertThat(root.context().traceId()).matches(TRACE_ID);
        assertThat(onlyReported().getName()).isEqualTo("root");
    }

    @Test
    void debugSamplingFlagsWithoutIdsKeepTheDebugFlagOnTheNewRoot() {
        // a bare "b3: d" must reach the next hop as debug again, as "b3: <ids>-d" already does;
        // fails today: TraceTracer#newSpan's withSampled(..) clears FLAG_DEBUG on the new root
        SpanContext flagsOnly = SpanContext.samplingFlagsOnly(null, true);

        Span root = tracer.spanBuilder().setParent(flagsOnly).name("root").start();
        Span child = tracer.nextSpan(root).name("child").start();

        assertThat(((SpanContext) root.context()).isDebug()).isTrue();
        assertThat(((SpanContext) child.context()).isDebug()).isTrue();
    }

    @Test
    void unsampledFlagsWithoutIdsStartAnUnsampledRootEvenWhenTheSamplerSaysYes() {
        SpanContext flagsOnly = SpanContext.samplingFlagsOnly(false, false);

        Span root = tracer.spanBuilder().setParent(flagsOnly).name("root").start();
        root.end();

        assertThat(root.context().sampled()).isFalse();
        assertThat(root.context().traceId()).matches(TRACE_ID);
        assertThat(reported).isEmpty();
    }

    @Test
    void parentWithoutADecisionGetsOneFromTheSampler() {
        List<long[]> asked = new CopyOnWriteArrayList<>();
        Sampler recording = (high, low) -> {
            asked.add(new long[] { high, low });
            return low % 2 == 0;
        };
        tracer = Tracing.newBuilder().sampler(recording).reporter(reported::add).build();

        SpanContext undecidedEven = SpanContext.create(7L, 42L, 0L, 9L, null, false);
        SpanContext undecidedOdd = SpanContext.create(7L, 43L, 0L, 9L, null, false);
        assertThat(undecidedEven.sampled()).isNull();

        Span sampled = tracer.spanBuilder().setParent(undecidedEven).name("even").start();
        Span unsampled = tracer.spanBuilder().setParent(undecidedOdd).name("odd").start();
        sampled.end();
        unsampled.end();

        assertThat(asked).hasSize(2);
        assertThat(asked.get(0)).containsExactly(7L, 42L);
        assertThat(asked.get(1)).containsExactly(7L, 43L);
        assertThat(sampled.context().sampled()).isTrue();
        assertThat(sampled.context().traceId()).isEqualTo(HexCodec.toHex128(7L, 42L));
        assertThat(unsampled.context().sampled()).isFalse();
        assertThat(reported).extracting(FinishedSpan::getName).containsExactly("even");
    }

    @Test
    void parentWithADecisionIsNotOverruledByTheSampler() {
        tracer = Tracing.newBuilder().sampler(Sampler.NEVER_SAMPLE).reporter(reported::add).build();
        TraceContext sampledParent = tracer.traceContextBuilder()
            .traceId("463ac35c9f6413ad48485a3953bb6124")
            .spanId("a2fb4a1d1a96d312")
            .sampled(true)
            .build();

        Span child = tracer.spanBuilder().setParent(sampledParent).name("child").start();
        child.end();

        assertThat(child.context().sampled()).isTrue();
        assertThat(onlyReported().getTraceId()).isEqualTo("463ac35c9f6413ad48485a3953bb6124");
    }

    @Test
    void traceContextBuilderWithInvalidIdsBuildsAContextThatStartsANewTrace() {
        TraceContext invalid = tracer.traceContextBuilder().traceId("not-hex").spanId("zz").build();

        Span span = tracer.spanBuilder().setParent(invalid).name("span").start();

        assertThat(span.context().traceId()).matches(TRACE_ID);
        assertThat(span.context().parentId()).isNull();
    }

    // ---- baggage ----

    @Test
    void getBaggageForAContextReadsThatContextNotTheCurrentOne() {
        // as Brave's bridge does: the Baggage returned by getBaggage(context, name) reads that context
        Span withBaggage = tracer.nextSpan().name("with-baggage").start();
        tracer.createBaggage("tenant").set(withBaggage.context(), "acme");
        Span current = tracer.nextSpan().name("current").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(current)) {
            assertThat(tracer.getAllBaggage(withBaggage.context())).containsEntry("tenant", "acme");
            assertThat(tracer.getAllBaggage()).doesNotContainKey("tenant");
            assertThat(tracer.getBaggage(withBaggage.context(), "tenant")).isNotNull();
            assertThat(tracer.getBaggage(withBaggage.context(), "tenant").get()).isEqualTo("acme");
        }
    }

    @Test
    void baggageFollowsTheSpanIntoItsChildrenButNotBack() {
        Span parent = tracer.nextSpan().name("parent").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(parent);
                io.micrometer.tracing.BaggageInScope b = tracer.createBaggageInScope("tenant", "acme")) {
            Span child = tracer.nextSpan().name("child").start();
            try (Tracer.SpanInScope ws2 = tracer.withSpan(child);
                    io.micrometer.tracing.BaggageInScope b2 = tracer.createBaggageInScope("tenant", "child-value")) {
                assertThat(tracer.getAllBaggage()).containsEntry("tenant", "child-value");
            }
            assertThat(tracer.getAllBaggage(child.context())).containsEntry("tenant", "acme");
            assertThat(tracer.getAllBaggage()).containsEntry("tenant", "acme");
        }
    }

    // ---- time ----

    @Test
    void timestampsAreEpochMicrosCloseToNowAndDurationIsNotNegative() throws InterruptedException {
        long beforeMicros = System.currentTimeMillis() * 1000L;
        Span span = tracer.nextSpan().name("timed").start();
        Thread.sleep(5);
        span.end();
        long afterMicros = (System.currentTimeMillis() + 1) * 1000L;

        RecordedSpan finished = (RecordedSpan) onlyReported();
        assertThat(finished.startMicros()).isBetween(beforeMicros - 1000L, afterMicros);
        assertThat(finished.endMicros()).isBetween(finished.startMicros(), afterMicros + 1000L);
        assertThat(finished.durationMicros()).isGreaterThanOrEqualTo(4_000L);
        assertThat(finished.getStartTimestamp())
            .isEqualTo(Instant.ofEpochSecond(0, finished.startMicros() * 1000L));
    }

    @Test
    void durationComesFromTheMonotonicClockNotTheWallClock() {
        FakeClock clock = new FakeClock(1_700_000_000_000_000L, 5_000_000_000L);
        tracer = Tracing.newBuilder().clock(clock).reporter(reported::add).build();

        Span backwards = tracer.nextSpan().name("backwards").start();
        clock.advanceNanos(3_000_000L); // 3 ms really elapse
        clock.jumpWallMicros(-3_600_000_000L); // NTP steps the wall clock back an hour
        backwards.end();

        Span forwards = tracer.nextSpan().name("forwards").start();
        clock.advanceNanos(250_000L);
        clock.jumpWallMicros(+86_400_000_000L); // and forward a day
        forwards.end();

        RecordedSpan first = (RecordedSpan) reported.get(0);
        assertThat(first.startMicros()).isEqualTo(1_700_000_000_000_000L);
        assertThat(first.endMicros()).isEqualTo(1_700_000_000_000_000L + 3_000L);
        assertThat(first.durationMicros()).isEqualTo(3_000L);

        RecordedSpan second = (RecordedSpan) reported.get(1);
        assertThat(second.startMicros()).isEqualTo(1_700_000_000_003_000L - 3_600_000_000L);
        assertThat(second.durationMicros()).isEqualTo(250L);
    }

    /**
     * A wall-clock step between a local root's start and its child's (or a re-anchoring of the
     * system clock between them) cannot put the child outside its parent: the child, its grandchild,
     * a child started after its parent ended and every event are timed from the root's start by the
     * monotonic clock, as Brave and OpenTelemetry time a local trace. A new local root reads the wall
     * clock again.
     */
    @Test
    void aLocalTracesSpansAreTimedFromItsRootsStartWhateverTheWallClockDoes() {
        FakeClock clock = new FakeClock(1_700_000_000_000_000L, 5_000_000_000L);
        tracer = Tracing.newBuilder().clock(clock).reporter(reported::add).build();

        Span root = tracer.nextSpan().name("root").start();
        clock.advanceNanos(1_000_000L);
        clock.jumpWallMicros(+500_000L); // the wall clock steps forward half a second
        Span child = tracer.nextSpan(root).name("child").start();
        clock.advanceNanos(1_000_000L);
        child.event("halfway");
        root.event("root's");
        Span grandchild = tracer.nextSpan(child).name("grandchild").start();
        clock.advanceNanos(1_000_000L);
        grandchild.end();
        child.end();
        // work that starts after its parent ended (an @Async task, a future's continuation)
        Span late = tracer.nextSpan(child).name("late").start();
        clock.advanceNanos(1_000_000L);
        late.end();
        root.end();
        Span next = tracer.nextSpan().name("next").start();
        next.end();

        RecordedSpan rootSpan = only("root");
        RecordedSpan childSpan = only("child");
        RecordedSpan grandchildSpan = only("grandchild");
        assertThat(rootSpan.startMicros()).isEqualTo(1_700_000_000_000_000L);
        assertThat(rootSpan.endMicros()).isEqualTo(1_700_000_000_004_000L);
        assertThat(rootSpan.getEvents()).singleElement()
            .satisfies(event -> assertThat(event.getKey()).isEqualTo(1_700_000_000_002_000L));
        assertThat(childSpan.startMicros()).isEqualTo(1_700_000_000_001_000L);
        assertThat(childSpan.endMicros()).isEqualTo(1_700_000_000_003_000L);
        assertThat(childSpan.getEvents()).singleElement()
            .satisfies(event -> assertThat(event.getKey()).isEqualTo(1_700_000_000_002_000L));
        assertThat(grandchildSpan.startMicros()).isEqualTo(1_700_000_000_002_000L);
        assertThat(grandchildSpan.endMicros()).isEqualTo(1_700_000_000_003_000L);
        assertThat(only("late").startMicros()).isEqualTo(1_700_000_000_003_000L);
        // a trace of its own: the stepped wall clock
        assertThat(only("next").startMicros()).isEqualTo(1_700_000_000_504_000L);
    }

    private RecordedSpan only(String name) {
        return (RecordedSpan) reported.stream().filter(span -> name.equals(span.getName())).findFirst().orElseThrow();
    }

    @Test
    void explicitStartAndEndAreRecordedExactly() {
        long startMicros = 1_700_000_000_123_456L;
        Span span = tracer.spanBuilder()
            .name("explicit")
            .startTimestamp(startMicros, TimeUnit.MICROSECONDS)
            .start();
        span.end(startMicros + 1_234L, TimeUnit.MICROSECONDS);

        RecordedSpan finished = (RecordedSpan) onlyReported();
        assertThat(finished.startMicros()).isEqualTo(startMicros);
        assertThat(finished.endMicros()).isEqualTo(startMicros + 1_234L);
        assertThat(finished.getStartTimestamp()).isEqualTo(Instant.ofEpochSecond(1_700_000_000L, 123_456_000L));
        assertThat(finished.getEndTimestamp()).isEqualTo(Instant.ofEpochSecond(1_700_000_000L, 124_690_000L));
    }

    @Test
    void explicitEndInMillisecondsIsConvertedToMicros() {
        // SimpleTracer stores end(time, unit) as micros in a millisecond field, so this is ours only
        Span span = tracer.nextSpan().name("span").start();
        long endMillis = System.currentTimeMillis() + 10;
        span.end(endMillis, TimeUnit.MILLISECONDS);

        assertThat(onlyReported().getEndTimestamp()).isEqualTo(Instant.ofEpochMilli(endMillis));
    }

    @Test
    void builderEventsAreStampedAtTheStart() {
        long startMicros = 1_700_000_000_000_000L;
        tracer.spanBuilder()
            .name("span")
            .event("queued")
            .startTimestamp(startMicros, TimeUnit.MICROSECONDS)
            .start()
            .end();

        assertThat(onlyReported().getEvents()).singleElement().satisfies(e -> {
            assertThat(e.getKey()).isEqualTo(startMicros);
            assertThat(e.getValue()).isEqualTo("queued");
        });
    }

    // ---- scoped spans and scopes ----

    @Test
    void startScopedSpanIsCurrentUntilEnd() {
        Span outer = tracer.nextSpan().name("outer").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(outer)) {
            ScopedSpan scoped = tracer.startScopedSpan("scoped");
            assertThat(tracer.currentSpan()).isNotNull();
            assertThat(tracer.currentSpan().context().spanId()).isEqualTo(scoped.context().spanId());
            assertThat(scoped.context().parentId()).isEqualTo(outer.context().spanId());
            scoped.tag("k", "v");
            scoped.end();
            assertThat(tracer.currentSpan().context().spanId()).isEqualTo(outer.context().spanId());
        }
        assertThat(tracer.currentSpan()).isNull();
        SpansAssert.assertThat(reported).hasASpanWithName("scoped",
                s -> s.hasTag("k", "v").hasParentIdEqualTo(outer.context().spanId()));
    }

    @Test
    void closingWithSpanNullRestoresTheOuterSpan() {
        // SimpleTracer's withSpan(null) clears without restoring
        Span outer = tracer.nextSpan().name("outer").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(outer)) {
            try (Tracer.SpanInScope cleared = tracer.withSpan(null)) {
                assertThat(tracer.currentSpan()).isNull();
            }
            assertThat(tracer.currentSpan()).isEqualTo(outer);
        }
    }

    @Test
    void closingMaybeScopeNullRestoresTheOuterContext() {
        Span outer = tracer.nextSpan().name("outer").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(outer)) {
            try (CurrentTraceContext.Scope scope = tracer.currentTraceContext().maybeScope(null)) {
                assertThat(tracer.currentTraceContext().context()).isNull();
            }
            assertThat(tracer.currentTraceContext().context()).isEqualTo(outer.context());
        }
    }

    @Test
    void closingAScopeTwiceDoesNotClobberTheOuterOne() {
        Span outer = tracer.nextSpan().name("outer").start();
        Span inner = tracer.nextSpan().name("inner").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(outer)) {
            Tracer.SpanInScope innerScope = tracer.withSpan(inner);
            innerScope.close();
            innerScope.close();
            assertThat(tracer.currentSpan()).isEqualTo(outer);
        }
    }

    // ---- wrapping ----

    @Test
    void wrappedRunnableSeesTheSpanCurrentAtWrapTimeOnAnotherThread() throws Exception {
        Span span = tracer.nextSpan().name("span").start();
        AtomicReference<Span> seen = new AtomicReference<>();
        Runnable wrapped;
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            wrapped = tracer.currentTraceContext().wrap(() -> seen.set(tracer.currentSpan()));
        }
        ExecutorService executor = singleThread();
        executor.submit(wrapped).get(5, TimeUnit.SECONDS);

        assertThat(seen.get()).isEqualTo(span);
        assertThat(executor.submit(tracer::currentSpan).get(5, TimeUnit.SECONDS)).isNull();
    }

    @Test
    void wrappedRunnableRunOnTheSameThreadAfterTheScopeStillSeesTheSpan() {
        Span span = tracer.nextSpan().name("span").start();
        AtomicReference<Span> seen = new AtomicReference<>();
        Runnable wrapped;
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            wrapped = tracer.currentTraceContext().wrap(() -> seen.set(tracer.currentSpan()));
        }
        wrapped.run();

        assertThat(seen.get()).isEqualTo(span);
        assertThat(tracer.currentSpan()).isNull();
    }

    @Test
    void wrappedCallableSeesTheSpanCurrentAtWrapTime() throws Exception {
        Span span = tracer.nextSpan().name("span").start();
        Callable<String> wrapped;
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            wrapped = tracer.currentTraceContext().wrap(() -> tracer.currentSpan().context().spanId());
        }
        ExecutorService executor = singleThread();

        assertThat(executor.submit(wrapped).get(5, TimeUnit.SECONDS)).isEqualTo(span.context().spanId());
        assertThat(executor.submit(tracer::currentSpan).get(5, TimeUnit.SECONDS)).isNull();
    }

    @Test
    void wrappedRunnableWithoutASpanClearsTheCallersSpan() {
        Runnable wrapped = tracer.currentTraceContext().wrap(() -> assertThat(tracer.currentSpan()).isNull());
        Span span = tracer.nextSpan().name("span").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            wrapped.run();
            assertThat(tracer.currentSpan()).isEqualTo(span);
        }
    }

    @Test
    void wrappedExecutorRunsTasksInTheSpanCurrentAtExecuteTime() throws Exception {
        ExecutorService raw = singleThread();
        java.util.concurrent.Executor wrapped = tracer.currentTraceContext().wrap((java.util.concurrent.Executor) raw);
        Span first = tracer.nextSpan().name("first").start();
        Span second = tracer.nextSpan().name("second").start();
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Tracer.SpanInScope ws = tracer.withSpan(first)) {
            wrapped.execute(() -> seen.add(tracer.currentSpan().context().spanId()));
        }
        try (Tracer.SpanInScope ws = tracer.withSpan(second)) {
            wrapped.execute(() -> seen.add(tracer.currentSpan().context().spanId()));
        }
        wrapped.execute(() -> seen.add(String.valueOf(tracer.currentSpan())));

        assertThat(raw.submit(tracer::currentSpan).get(5, TimeUnit.SECONDS)).isNull();
        assertThat(seen).containsExactly(first.context().spanId(), second.context().spanId(), "null");
    }

    @Test
    void wrappedExecutorServiceRunsSubmittedTasksInTheSpanCurrentAtSubmitTime() throws Exception {
        ExecutorService raw = singleThread();
        ExecutorService wrapped = tracer.currentTraceContext().wrap(raw);
        Span span = tracer.nextSpan().name("span").start();
        String fromCallable;
        String fromInvokeAll;
        AtomicReference<Span> fromRunnable = new AtomicReference<>();
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            java.util.concurrent.Future<String> future = wrapped.submit(() -> tracer.currentSpan().context().spanId());
            wrapped.submit(() -> fromRunnable.set(tracer.currentSpan())).get(5, TimeUnit.SECONDS);
            fromCallable = future.get(5, TimeUnit.SECONDS);
            fromInvokeAll = wrapped.invokeAll(List.<Callable<String>>of(() -> tracer.currentSpan().context().traceId()))
                .get(0)
                .get(5, TimeUnit.SECONDS);
        }
        Span outside = wrapped.submit(tracer::currentSpan).get(5, TimeUnit.SECONDS);

        assertThat(fromCallable).isEqualTo(span.context().spanId());
        assertThat(fromRunnable.get()).isEqualTo(span);
        assertThat(fromInvokeAll).isEqualTo(span.context().traceId());
        assertThat(outside).isNull();
        assertThat(raw.submit(tracer::currentSpan).get(5, TimeUnit.SECONDS)).isNull();
    }

    /** A clock whose wall time and monotonic time the test moves independently. */
    static class FakeClock extends TraceClock {

        private long wallMicros;

        private long nanos;

        FakeClock(long wallMicros, long nanos) {
            super(Clock.systemUTC());
            this.wallMicros = wallMicros;
            this.nanos = nanos;
        }

        void advanceNanos(long delta) {
            nanos += delta;
            wallMicros += delta / 1000L;
        }

        void jumpWallMicros(long delta) {
            wallMicros += delta;
        }

        @Override
        public long epochMicros() {
            return wallMicros;
        }

        @Override
        public long nanoTime() {
            return nanos;
        }

    }

    @Test
    void baggageScopesOnThreadsSharingASpanDoNotSeeEachOther() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Span root = tracer.nextSpan().name("fan-out").start();
            java.util.concurrent.CountDownLatch bothOpen = new java.util.concurrent.CountDownLatch(2);
            List<java.util.concurrent.Future<String>> seen = new ArrayList<>();
            try (Tracer.SpanInScope ws = tracer.withSpan(root)) {
                ExecutorService wrapped = tracer.currentTraceContext().wrap(pool);
                for (String tenant : List.of("A", "B")) {
                    seen.add(wrapped.submit(() -> {
                        try (var baggage = tracer.createBaggageInScope("tenant", tenant)) {
                            bothOpen.countDown();
                            bothOpen.await(5, TimeUnit.SECONDS);
                            return tracer.getBaggage("tenant").get() + "/" + tracer.getAllBaggage().get("tenant");
                        }
                    }));
                }
                assertThat(seen.get(0).get(5, TimeUnit.SECONDS)).isEqualTo("A/A");
                assertThat(seen.get(1).get(5, TimeUnit.SECONDS)).isEqualTo("B/B");
                assertThat(tracer.getAllBaggage()).doesNotContainKey("tenant");
            }
            assertThat(tracer.getAllBaggage(root.context())).doesNotContainKey("tenant");
        }
        finally {
            pool.shutdownNow();
        }
    }

    @Test
    void baggageInScopeForAContextPassedExplicitlyIsReadThroughThatContext() {
        // Micrometer's documented baggage example (the reference SimpleTracer fails it): a span passed
        // explicitly, read back through it
        Span span = tracer.nextSpan().name("span").start();
        try (var baggage = tracer.createBaggageInScope(span.context(), "from_span", "value 3")) {
            assertThat(baggage.get(span.context())).isEqualTo("value 3");
            assertThat(tracer.getBaggage("from_span").get(span.context())).isEqualTo("value 3");
        }
        span.end();
    }

    @Test
    void baggageScopesOpenedOneAfterTheOtherForTheSameSpanEachAddTheirValue() {
        // what Micrometer's Observation scope does for an Observation with two key values that are
        // baggage fields: one createBaggageInScope per field, each given the Observation's span context
        TraceTracer correlating = Tracing.newBuilder().serviceName("svc").reporter(reported::add)
            .remoteFields(List.of("tenant", "region")).correlationFields(List.of("tenant", "region")).build();
        Span span = correlating.nextSpan().name("checkout").start();
        Span child;
        try (Tracer.SpanInScope ws = correlating.withSpan(span);
                var tenant = correlating.createBaggageInScope(span.context(), "tenant", "acme");
                var region = correlating.createBaggageInScope(span.context(), "region", "eu")) {
            assertThat(correlating.getAllBaggage()).containsEntry("tenant", "acme").containsEntry("region", "eu");
            assertThat(MDC.get("tenant")).isEqualTo("acme");
            assertThat(MDC.get("region")).isEqualTo("eu");
            child = correlating.nextSpan().name("child").start();
        }
        assertThat(correlating.getAllBaggage(child.context())).containsEntry("tenant", "acme")
            .containsEntry("region", "eu");
        assertThat(MDC.get("tenant")).isNull();
        assertThat(MDC.get("region")).isNull();
        child.end();
        span.end();
    }

    @Test
    void aTagFieldsBaggageIsATagOfEachSpanThatCarriesItWhenItEnds() {
        TraceTracer tagging = Tracing.newBuilder().serviceName("svc").reporter(reported::add)
            .remoteFields(List.of("tenant")).tagFields(List.of("tenant", "region")).build();
        Span root = tagging.nextSpan().name("root").start();
        Span child;
        try (Tracer.SpanInScope ws = tagging.withSpan(root)) {
            root.tag("tenant", "set before");
            tagging.getBaggage("tenant").set("acme");
            child = tagging.nextSpan().name("child").start();
            // in scope only (a copy of the context): a tag of the span current now, though its own context never
            // carries it
            try (BaggageInScope region = tagging.createBaggageInScope("region", "eu")) {
                assertThat(tagging.getBaggage("region").get()).isEqualTo("eu");
            }
        }
        Span other = tagging.nextSpan().name("no baggage").start();
        child.end();
        other.end();
        root.end();
        // the value when each ends, over a tag set before; a field without a value is no tag
        assertThat(reported).extracting(FinishedSpan::getName, span -> span.getTags().get("tenant"),
                span -> span.getTags().get("region"))
            .containsExactlyInAnyOrder(tuple("root", "acme", "eu"), tuple("child", "acme", null),
                    tuple("no baggage", null, null));
        assertThatThrownBy(() -> Tracing.newBuilder().tagFields(List.of("tenant", " ")))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBaggageScopeClosedOnAnotherThreadIsStillClosedByItsOwn() throws Exception {
        TraceTracer correlating = Tracing.newBuilder().serviceName("svc").reporter(reported::add)
            .remoteFields(List.of("tenant")).correlationFields(List.of("tenant")).build();
        Span span = correlating.nextSpan().name("moved baggage").start();
        try (Tracer.SpanInScope ws = correlating.withSpan(span)) {
            BaggageInScope tenant = correlating.createBaggageInScope("tenant", "moved");
            Thread other = new Thread(tenant::close, "baggage-closer");
            other.start();
            other.join();
            // ignored there: the value is still in scope here
            assertThat(correlating.getBaggage("tenant").get()).isEqualTo("moved");
            assertThat(MDC.get("tenant")).isEqualTo("moved");
            tenant.close();
            assertThat(correlating.getBaggage("tenant").get()).isNull();
            assertThat(MDC.get("tenant")).isNull();
            assertThat(correlating.currentSpan()).isEqualTo(span);
        }
        span.end();
    }

    @Test
    void childrenStartedInsideABaggageScopeCarryTheValue() {
        Span root = tracer.nextSpan().name("root").start();
        Span child;
        try (Tracer.SpanInScope ws = tracer.withSpan(root);
                var baggage = tracer.createBaggageInScope("tenant", "acme")) {
            child = tracer.nextSpan().name("child").start();
            // the span in scope is still the root, and writes through currentSpan() reach its record
            assertThat(tracer.currentSpan()).isEqualTo(root);
            tracer.currentSpan().tag("in", "scope");
        }
        assertThat(tracer.getAllBaggage(child.context())).containsEntry("tenant", "acme");
        root.end();
        assertThat(onlyReported().getTags()).containsEntry("in", "scope");
    }

    @Test
    void childrenOfTheSpanObjectInsideABaggageScopeCarryTheValueToo() {
        // what Micrometer's tracing Observation handler does for a nested Observation: nextSpan(parentSpan)
        Span root = tracer.nextSpan().name("root").start();
        Span child;
        Span built;
        try (Tracer.SpanInScope ws = tracer.withSpan(root);
                var baggage = tracer.createBaggageInScope("tenant", "acme")) {
            child = tracer.nextSpan(root).name("child").start();
            built = tracer.spanBuilder().setParent(root.context()).name("built").start();
        }
        assertThat(tracer.getAllBaggage(child.context())).containsEntry("tenant", "acme");
        assertThat(tracer.getAllBaggage(built.context())).containsEntry("tenant", "acme");
        assertThat(child.context().parentId()).isEqualTo(root.context().spanId());
        assertThat(built.context().parentId()).isEqualTo(root.context().spanId());
        // outside the scope, the span object's children no longer get it
        Span later = tracer.nextSpan(root).name("later").start();
        assertThat(tracer.getAllBaggage(later.context())).doesNotContainKey("tenant");
        for (Span span : List.of(later, built, child, root)) {
            span.end();
        }
    }

    @Test
    void aLinkToNoContextIsDropped() {
        // the current context read on a thread that has none
        Span span = tracer.spanBuilder().name("linked").addLink(new io.micrometer.tracing.Link(
                tracer.currentTraceContext().context())).start();
        span.end();
        assertThat(onlyReported().getLinks()).isEmpty();
        onlyReported().addLink(new io.micrometer.tracing.Link(tracer.currentTraceContext().context()));
        assertThat(onlyReported().getLinks()).isEmpty();
    }

    @Test
    void anEndedSpansContextNoLongerHoldsItsRecord() {
        Span previous = tracer.nextSpan().name("previous-run").start();
        previous.end();
        Span next = tracer.spanBuilder().name("next-run").addLink(new io.micrometer.tracing.Link(previous)).start();
        next.end();
        // a link keeps the context, and the context no longer keeps the previous span's data
        assertThat(((SpanContext) previous.context()).record).isNull();
        assertThat(((SpanContext) next.context()).record).isNull();
        assertThat(previous.isNoop()).isFalse();
        assertThat(reported).hasSize(2);
    }

    @Test
    void openSpansCountSampledSpansStartedAndNotYetEndedOrAbandoned() {
        assertThat(tracer.openSpanCount()).isZero();
        Span ended = tracer.nextSpan().start();
        Span abandoned = tracer.nextSpan().start();
        Span leftOpen = tracer.spanBuilder().setNoParent().startTimestamp(1_000L, TimeUnit.MILLISECONDS).start();
        Span neverStarted = tracer.nextSpan();
        assertThat(tracer.startedSpanCount()).isEqualTo(3);
        assertThat(tracer.openSpanCount()).isEqualTo(3);

        ended.start();
        ended.end();
        ended.end();
        abandoned.abandon();
        abandoned.end();
        neverStarted.end();
        assertThat(tracer.startedSpanCount()).isEqualTo(3);
        assertThat(tracer.openSpanCount()).as("only the span left open").isEqualTo(1);

        leftOpen.end();
        assertThat(tracer.openSpanCount()).isZero();

        TraceTracer unsampled = Tracing.newBuilder().sampler(dev.tracing.core.Sampler.NEVER_SAMPLE).build();
        unsampled.nextSpan().start();
        assertThat(unsampled.startedSpanCount()).isZero();
        assertThat(unsampled.openSpanCount()).isZero();
    }

}
