package dev.tracing.core;

import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.tracing.propagation.CompositePropagator;
import dev.tracing.testing.Waits;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Keeping failed and slow traces the sampler did not choose: a local trace is recorded while it
 * runs, and its spans are exported, all of them, only if its local root ends in error or slow.
 */
class KeepPolicyTests {

    final List<FinishedSpan> reported = new CopyOnWriteArrayList<>();

    final TraceTracerTests.FakeClock clock = new TraceTracerTests.FakeClock(1_700_000_000_000_000L, 1_000L);

    TraceTracer tracer(KeepPolicy keep) {
        return Tracing.newBuilder().sampler(Sampler.NEVER_SAMPLE).clock(clock).keep(keep).reporter(reported::add)
            .build();
    }

    /** A request: a root with a child ended before it, and a child that ends after it. */
    Span request(Tracer tracer, boolean fail) {
        Span root = tracer.nextSpan().name("GET /orders").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(root)) {
            tracer.nextSpan().name("SELECT orders").start().end();
            Span late = tracer.nextSpan().name("audit").start();
            clock.advanceNanos(5_000_000L);
            if (fail) {
                root.error(new IllegalStateException("boom"));
            }
            root.end();
            return late;
        }
    }

    @Test
    void builderDefaults() {
        KeepPolicy keep = KeepPolicy.builder().build();
        // nothing kept unless asked, and bounds that hold a few dozen waiting requests' spans
        assertThat(keep.isEnabled()).isFalse();
        assertThat(keep.errors()).isFalse();
        assertThat(keep.slowerThanMicros()).isZero();
        assertThat(keep.maxSpansPerTrace()).isEqualTo(KeepPolicy.DEFAULT_MAX_SPANS_PER_TRACE).isEqualTo(256);
        assertThat(keep.maxPendingSpans()).isEqualTo(KeepPolicy.DEFAULT_MAX_PENDING_SPANS).isEqualTo(10_000);
        // as many kept traces a second as the sampler records by default
        assertThat(keep.rateLimit()).isEqualTo(KeepPolicy.DEFAULT_RATE_LIMIT).isEqualTo(Sampler.DEFAULT_RATE_LIMIT);
        assertThat(KeepPolicy.builder().rateLimit(0).build().rateLimit()).isZero();
        // durations count in whole microseconds: a threshold below one is 1 us, not "off"
        assertThat(KeepPolicy.builder().slowerThan(Duration.ofNanos(500)).build().slowerThanMicros()).isEqualTo(1);
        assertThat(KeepPolicy.builder().slowerThan(Duration.ofNanos(1_500)).build().slowerThanMicros()).isEqualTo(1);
        assertThat(KeepPolicy.builder().slowerThan(Duration.ofMillis(2)).build().slowerThanMicros()).isEqualTo(2_000);
        assertThat(KeepPolicy.builder().slowerThan(Duration.ofSeconds(Long.MAX_VALUE)).build().slowerThanMicros())
            .isEqualTo(Long.MAX_VALUE);
        assertThatIllegalArgumentException().isThrownBy(() -> KeepPolicy.builder().rateLimit(-1))
            .withMessageContaining("must be 0 (no limit) or positive");
    }

    @Test
    void keptTracesAreLimitedPerSecondAndTheOthersCounted() {
        // at 1 a second there is no burst: of traces decided within a second (the tracer's clock), one is kept
        TraceTracer tracer = tracer(KeepPolicy.builder().errors(true).rateLimit(1).build());
        for (int i = 0; i < 3; i++) {
            request(tracer, true).end();
        }

        assertThat(reported).extracting(FinishedSpan::getName)
            .containsExactly("SELECT orders", "GET /orders", "audit");
        assertThat(tracer.keptTraceCount()).isEqualTo(1);
        assertThat(tracer.keepLimitedTraceCount()).isEqualTo(2);
        assertThat(tracer.pendingSpanCount()).isZero();
        assertThat(tracer.waitingTraceCount()).isZero();
        // a trace that neither failed nor was slow is not one the limit refused
        request(tracer, false).end();
        assertThat(tracer.keepLimitedTraceCount()).isEqualTo(2);
        // a second later, the next failed trace is kept
        clock.advanceNanos(1_000_000_000L);
        request(tracer, true).end();
        assertThat(tracer.keptTraceCount()).isEqualTo(2);
        assertThat(tracer.keepLimitedTraceCount()).isEqualTo(2);
    }

    @Test
    void aSpanThatFindsNoRoomIsReportedWhenItsRootIsKeptMeanwhile() {
        RootEndingClock hooked = new RootEndingClock();
        TraceTracer tracer = Tracing.newBuilder()
            .sampler(Sampler.NEVER_SAMPLE)
            .clock(hooked)
            .keep(KeepPolicy.builder().errors(true).maxPendingSpans(1).rateLimit(0).build())
            .reporter(reported::add)
            .build();
        Span other = tracer.nextSpan().name("other").start();
        tracer.nextSpan(other).name("holds the room").start().end();
        Span root = tracer.nextSpan().name("failing").start();
        Span child = tracer.nextSpan(root).name("child").start();
        root.error(new IllegalStateException("boom"));

        // the child finds no room; while it looks for traces that waited too long, its root ends, kept
        hooked.onExpiryScan = root::end;
        child.end();

        assertThat(hooked.onExpiryScan).as("the root ended during the scan").isNull();
        assertThat(reported).extracting(FinishedSpan::getName).containsExactly("failing", "child");
        assertThat(tracer.keepDroppedSpanCount()).isZero();
        assertThat(tracer.pendingSpanCount()).isEqualTo(1);
    }

    /** A fake clock that runs a task once, when the tracer reads it to look for traces that waited too long. */
    static final class RootEndingClock extends TraceTracerTests.FakeClock {

        volatile Runnable onExpiryScan;

        RootEndingClock() {
            super(1_700_000_000_000_000L, 1_000L);
        }

        @Override
        public long nanoTime() {
            Runnable task = onExpiryScan;
            if (task != null && StackWalker.getInstance()
                .walk(frames -> frames.anyMatch(frame -> frame.getMethodName().equals("reservePendingSpanAfterExpiring")))) {
                onExpiryScan = null;
                task.run();
            }
            return super.nanoTime();
        }

    }

    @Test
    void aFailedTraceIsExportedWholeWithTheTagAndWhyItWasKept() {
        TraceTracer tracer = tracer(KeepPolicy.builder().errors(true).build());
        Span late = request(tracer, true);

        assertThat(reported).extracting(FinishedSpan::getName).containsExactly("SELECT orders", "GET /orders");
        RecordedSpan root = (RecordedSpan) reported.get(1);
        assertThat(root.getTags()).containsEntry("sampling.kept", "error");
        assertThat(root.sampledBy()).isEqualTo("keep.errors");
        assertThat(reported.get(0).getParentId()).isEqualTo(root.getSpanId());
        // the decision this process propagated stays "not sampled"
        assertThat(root.context().isSampled()).isFalse();

        late.end();
        assertThat(reported).extracting(FinishedSpan::getName).containsExactly("SELECT orders", "GET /orders", "audit");
        assertThat(tracer.keptTraceCount()).isEqualTo(1);
        assertThat(tracer.pendingSpanCount()).isZero();
    }

    @Test
    void aTraceThatSucceededQuicklyIsDroppedWhole() {
        TraceTracer tracer = tracer(KeepPolicy.builder().errors(true).slowerThan(Duration.ofSeconds(2)).build());
        Span late = request(tracer, false);
        late.end();

        assertThat(reported).isEmpty();
        assertThat(tracer.keptTraceCount()).isZero();
        assertThat(tracer.pendingSpanCount()).isZero();
    }

    @Test
    void anErrorTagOnTheRootCountsAsAFailure() {
        TraceTracer tracer = tracer(KeepPolicy.builder().errors(true).build());
        Span root = tracer.nextSpan().name("GET /fail").start();
        root.tag("error", "500");
        root.end();

        assertThat(reported).singleElement().satisfies(span -> assertThat(span.getTags()).containsEntry("sampling.kept", "error"));
    }

    @Test
    void aSlowTraceIsKeptAndAFastOneIsNot() {
        TraceTracer tracer = tracer(KeepPolicy.builder().slowerThan(Duration.ofMillis(100)).build());
        Span fast = tracer.nextSpan().name("fast").start();
        clock.advanceNanos(99_000_000L);
        fast.end();
        Span slow = tracer.nextSpan().name("slow").start();
        clock.advanceNanos(101_000_000L);
        slow.end();

        assertThat(reported).singleElement().satisfies(span -> {
            assertThat(span.getName()).isEqualTo("slow");
            assertThat(span.getTags()).containsEntry("sampling.kept", "slow");
            assertThat(((RecordedSpan) span).sampledBy()).isEqualTo("keep.slower-than");
        });
    }

    @Test
    void aFailedChildDoesNotKeepATraceWhoseRootSucceeded() {
        TraceTracer tracer = tracer(KeepPolicy.builder().errors(true).build());
        Span root = tracer.nextSpan().name("GET /orders").start();
        tracer.nextSpan(root).name("retry").start().error(new IllegalStateException("first try")).end();
        root.end();

        assertThat(reported).isEmpty();
    }

    @Test
    void aSpanWhoseCallerSaidNotSampledIsALocalRootOfItsOwn() {
        TraceTracer tracer = tracer(KeepPolicy.builder().errors(true).build());
        Span server = CompositePropagator.builder(tracer)
            .build()
            .extract(Map.of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"), Map::get)
            .name("GET /hello")
            .start();
        server.error(new IllegalStateException("boom"));
        server.end();

        assertThat(reported).singleElement().satisfies(span -> {
            assertThat(span.getTraceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
            assertThat(span.getParentId()).isEqualTo("00f067aa0ba902b7");
        });
    }

    @Test
    void waitingSpansAreBoundedPerTraceAndInTotalAndWhatDoesNotFitIsCounted() {
        TraceTracer tracer = tracer(KeepPolicy.builder().errors(true).maxSpansPerTrace(3).maxPendingSpans(5).build());
        Span first = tracer.nextSpan().name("first").start();
        for (int i = 0; i < 4; i++) {
            tracer.nextSpan(first).name("child").start().end();
        }
        assertThat(tracer.pendingSpanCount()).isEqualTo(3);
        assertThat(tracer.keepDroppedSpanCount()).isEqualTo(1);

        Span second = tracer.nextSpan().name("second").start();
        for (int i = 0; i < 3; i++) {
            tracer.nextSpan(second).name("child").start().end();
        }
        assertThat(tracer.pendingSpanCount()).isEqualTo(5);
        assertThat(tracer.keepDroppedSpanCount()).isEqualTo(2);

        first.error(new IllegalStateException("boom"));
        first.end();
        second.end();
        assertThat(reported).extracting(FinishedSpan::getName).containsExactly("child", "child", "child", "first");
        assertThat(tracer.pendingSpanCount()).isZero();
    }

    @Test
    void aRootThatNeverEndsGivesBackItsRoomOnceItHasWaitedAMinuteAndRoomRunsOut() {
        TraceTracer tracer = tracer(KeepPolicy.builder().errors(true).maxPendingSpans(2).build());
        Span forgotten = tracer.nextSpan().name("forgotten").start();
        tracer.nextSpan(forgotten).name("child").start().end();
        tracer.nextSpan(forgotten).name("child").start().end();
        assertThat(tracer.pendingSpanCount()).isEqualTo(2);

        clock.advanceNanos(TraceTracer.MAX_WAIT_NANOS + 1);
        Span failing = tracer.nextSpan().name("failing").start();
        tracer.nextSpan(failing).name("query").start().end();
        failing.error(new IllegalStateException("boom"));
        failing.end();

        assertThat(reported).extracting(FinishedSpan::getName).containsExactly("query", "failing");
        // the expired trace's spans did not fit: counted
        assertThat(tracer.keepDroppedSpanCount()).isEqualTo(2);
        assertThat(tracer.pendingSpanCount()).isZero();
        // the expired trace keeps nothing, even if its root ends after all
        forgotten.error(new IllegalStateException("late"));
        forgotten.end();
        assertThat(reported).hasSize(2);
        assertThat(tracer.keepDroppedSpanCount()).isEqualTo(3);
    }

    @Test
    void aTraceThatExpiresForItsOwnSpanLeavesNothingWaiting() {
        TraceTracer tracer = tracer(KeepPolicy.builder().errors(true).maxPendingSpans(2).build());
        Span stream = tracer.nextSpan().name("stream").start();
        tracer.nextSpan(stream).name("chunk").start().end();
        tracer.nextSpan(stream).name("chunk").start().end();

        // the third chunk finds no room: the scan for traces that waited too long finds its own
        clock.advanceNanos(TraceTracer.MAX_WAIT_NANOS + 1);
        tracer.nextSpan(stream).name("chunk").start().end();

        assertThat(tracer.pendingSpanCount()).isZero();
        assertThat(tracer.waitingTraceCount()).isZero();
        assertThat(tracer.keepDroppedSpanCount()).isEqualTo(3);
        stream.error(new IllegalStateException("late"));
        stream.end();
        assertThat(reported).isEmpty();
        assertThat(tracer.keepDroppedSpanCount()).isEqualTo(4);
        // and all the room is there for the next trace
        Span next = tracer.nextSpan().name("next").start();
        tracer.nextSpan(next).name("query").start().end();
        tracer.nextSpan(next).name("query").start().end();
        next.error(new IllegalStateException("boom"));
        next.end();
        assertThat(reported).extracting(FinishedSpan::getName).containsExactly("query", "query", "next");
    }

    @Test
    void aFullPoolLooksForTracesThatWaitedTooLongAtMostOnceASecond() {
        TraceTracer tracer = tracer(KeepPolicy.builder().errors(true).maxPendingSpans(1).build());
        Span old = tracer.nextSpan().name("old").start();
        tracer.nextSpan(old).name("child").start().end();
        Span young = tracer.nextSpan().name("young").start();
        clock.advanceNanos(TraceTracer.MAX_WAIT_NANOS - 500_000_000L);
        // no room, and nothing has waited a minute yet: dropped
        tracer.nextSpan(young).name("first").start().end();
        assertThat(tracer.keepDroppedSpanCount()).isEqualTo(1);

        // the old trace has now waited a minute, but the last look was less than a second ago: it still waits
        clock.advanceNanos(600_000_000L);
        tracer.nextSpan(young).name("second").start().end();
        assertThat(tracer.keepDroppedSpanCount()).isEqualTo(2);
        assertThat(tracer.pendingSpanCount()).isEqualTo(1);
        assertThat(tracer.waitingTraceCount()).isEqualTo(1);

        clock.advanceNanos(TraceTracer.EXPIRY_SCAN_NANOS);
        tracer.nextSpan(young).name("third").start().end();
        assertThat(tracer.keepDroppedSpanCount()).isEqualTo(3);
        young.error(new IllegalStateException("boom"));
        young.end();
        assertThat(reported).extracting(FinishedSpan::getName).containsExactly("third", "young");
    }

    @Test
    void expiringAnotherThreadsTraceHoldsNoTraceLockWhileItWaits() throws Exception {
        TraceTracer tracer = tracer(KeepPolicy.builder().errors(true).maxPendingSpans(2).build());
        Span first = tracer.nextSpan().name("first").start();
        tracer.nextSpan(first).name("child").start().end();
        Span second = tracer.nextSpan().name("second").start();
        tracer.nextSpan(second).name("child").start().end();
        PendingTrace firstTrace = ((TraceSpan) first).context().pending;
        PendingTrace secondTrace = ((TraceSpan) second).context().pending;
        clock.advanceNanos(TraceTracer.MAX_WAIT_NANOS + 1);

        // another thread ends a span of the first trace while this one holds the second's lock: expiring the
        // second makes it wait. If it waited holding the first's lock, a thread ending a span of the second
        // that expires the first (the same scan, the other way round) would wait for it for ever.
        Span late = tracer.nextSpan(first).name("late").start();
        Thread ending = new Thread(late::end, "ending");
        AtomicBoolean tookFirstsLock = new AtomicBoolean();
        Thread firstsLock = new Thread(() -> {
            synchronized (firstTrace) {
                tookFirstsLock.set(true);
            }
        }, "first's lock");
        synchronized (secondTrace) {
            ending.start();
            int secondsLock = System.identityHashCode(secondTrace);
            Waits.await().until(() -> {
                LockInfo blockedOn = ManagementFactory.getThreadMXBean().getThreadInfo(ending.getId()).getLockInfo();
                return blockedOn != null && blockedOn.getIdentityHashCode() == secondsLock;
            });
            firstsLock.start();
            firstsLock.join(Waits.TIMEOUT.toMillis());
            assertThat(tookFirstsLock).as("the first trace's lock is held while waiting for the second's").isTrue();
        }
        ending.join(Waits.TIMEOUT.toMillis());
        assertThat(ending.isAlive()).isFalse();
        assertThat(tracer.pendingSpanCount()).isZero();
        assertThat(tracer.waitingTraceCount()).isZero();
        assertThat(tracer.keepDroppedSpanCount()).isEqualTo(3);
    }

    @Test
    void childrenEndingOnOtherThreadsWhileTheRootEndsAreKeptOnceOrNotAtAll() throws Exception {
        TraceTracer tracer = tracer(KeepPolicy.builder().errors(true).rateLimit(0).build());
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            for (int round = 0; round < 300; round++) {
                boolean fail = round % 2 == 0;
                Span root = tracer.nextSpan().name("root").start();
                List<Span> children = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    children.add(tracer.nextSpan(root).name("child").start());
                }
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> ends = new ArrayList<>();
                for (Span child : children) {
                    ends.add(threads.submit(() -> {
                        go.await();
                        child.end();
                        return null;
                    }));
                }
                if (fail) {
                    root.error(new IllegalStateException("boom"));
                }
                go.countDown();
                root.end();
                for (Future<?> end : ends) {
                    end.get(Waits.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                }

                String traceId = root.context().traceId();
                List<String> reportedIds = reported.stream()
                    .filter(span -> span.getTraceId().equals(traceId))
                    .map(FinishedSpan::getSpanId)
                    .toList();
                if (fail) {
                    List<String> all = new ArrayList<>(children.stream().map(span -> span.context().spanId()).toList());
                    all.add(root.context().spanId());
                    assertThat(reportedIds).as("round %d", round).containsExactlyInAnyOrderElementsOf(all);
                }
                else {
                    assertThat(reportedIds).as("round %d", round).isEmpty();
                }
            }
        }
        finally {
            threads.shutdownNow();
        }
        assertThat(tracer.pendingSpanCount()).isZero();
        assertThat(tracer.waitingTraceCount()).isZero();
        assertThat(tracer.keepDroppedSpanCount()).isZero();
        assertThat(tracer.keptTraceCount()).isEqualTo(150);
    }

    @Test
    void decidedTracesAreForgotten() {
        TraceTracer tracer = tracer(KeepPolicy.builder().errors(true).rateLimit(0).build());
        for (int i = 0; i < 100; i++) {
            request(tracer, i % 2 == 0).end();
        }

        assertThat(tracer.waitingTraceCount()).isZero();
        assertThat(tracer.pendingSpanCount()).isZero();
        assertThat(tracer.keptTraceCount()).isEqualTo(50);
    }

    @Test
    void anAbandonedRootDropsItsWaitingSpans() {
        TraceTracer tracer = tracer(KeepPolicy.builder().errors(true).build());
        Span root = tracer.nextSpan().name("root").start();
        tracer.nextSpan(root).name("child").start().error(new IllegalStateException("boom")).end();
        root.abandon();

        assertThat(reported).isEmpty();
        assertThat(tracer.pendingSpanCount()).isZero();
    }

    @Test
    void withoutKeepAnUnsampledSpanRecordsNothing() {
        TraceTracer tracer = tracer(KeepPolicy.NONE);
        Span root = tracer.nextSpan().name("root").start();

        assertThat(root.isNoop()).isTrue();
        root.error(new IllegalStateException("boom"));
        root.end();
        assertThat(reported).isEmpty();
    }

    @Test
    void sampledTracesSayWhoSampledThem() {
        TraceTracer tracer = Tracing.newBuilder().reporter(reported::add).build();
        Span byDefault = tracer.nextSpan().name("default").start();
        Span child = tracer.nextSpan(byDefault).name("child").start();
        child.end();
        byDefault.end();
        RuleSampling builder = (RuleSampling) tracer.spanBuilder();
        builder.sampledBy(Sampler.ALWAYS_SAMPLE, "rules[0]").name("ruled").start().end();
        ((RuleSampling) tracer.spanBuilder()).sampledBy(Sampler.NEVER_SAMPLE, "rules[1]").name("dropped").start().end();

        List<String> sampledBy = new ArrayList<>();
        reported.forEach(span -> sampledBy.add(span.getName() + "=" + ((RecordedSpan) span).sampledBy()));
        assertThat(sampledBy).containsExactly("child=null", "default=default", "ruled=rules[0]");
    }

    @Test
    void boundsAreChecked() {
        assertThatIllegalArgumentException().isThrownBy(() -> KeepPolicy.builder().slowerThan(Duration.ofMillis(-1)));
        assertThatIllegalArgumentException().isThrownBy(() -> KeepPolicy.builder().maxSpansPerTrace(0));
        assertThatIllegalArgumentException().isThrownBy(() -> KeepPolicy.builder().maxPendingSpans(0));
        assertThat(KeepPolicy.builder().slowerThan(Duration.ZERO).build().isEnabled()).isFalse();
    }

}
