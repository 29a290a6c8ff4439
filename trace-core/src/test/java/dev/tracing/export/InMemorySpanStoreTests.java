package dev.tracing.export;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import dev.tracing.core.ErrorSummary;
import dev.tracing.core.SpanContext;
import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.test.simple.SimpleSpan;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** The store behind the {@code traces} endpoint, fed by a tracer as in the application. */
class InMemorySpanStoreTests {

    /** Ends a root and {@code children} children, children first; returns the root. */
    private static Span trace(TraceTracer tracer, String name, int children) {
        Span root = tracer.nextSpan().name(name).start();
        for (int i = 0; i < children; i++) {
            tracer.nextSpan(root).name(name + "-child-" + i).start().end();
        }
        root.end();
        return root;
    }

    /**
     * Keeps one trace, then starts another whose child ends: with a store that takes one new trace a
     * second, that child refuses it. Returns its root, still open.
     */
    private static Span refusedByItsFirstSpan(TraceTracer tracer) {
        trace(tracer, "kept", 0);
        Span root = tracer.nextSpan().name("refused").start();
        tracer.nextSpan(root).name("refused-child").start().end();
        return root;
    }

    /**
     * Runs {@code task} on another thread while this one holds the store's lock for up to
     * {@code millis}; returns whether it finished before the lock was let go, after waiting for it to
     * finish (5 s at most) either way.
     */
    private static boolean finishedWhileTheLockIsHeld(InMemorySpanStore store, Runnable task, long millis)
            throws Exception {
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            Future<?> finished;
            boolean whileHeld;
            // as while the endpoint's query or another span holds it
            synchronized (store) {
                finished = other.submit(task);
                try {
                    finished.get(millis, TimeUnit.MILLISECONDS);
                    whileHeld = true;
                }
                catch (TimeoutException ex) {
                    whileHeld = false;
                }
            }
            finished.get(5, TimeUnit.SECONDS);
            return whileHeld;
        }
        finally {
            other.shutdownNow();
        }
    }

    private static List<String> names(List<FinishedSpan> spans) {
        List<String> names = new ArrayList<>();
        for (FinishedSpan span : spans) {
            names.add(span.getName());
        }
        return names;
    }

    private static List<String> rootNames(List<List<FinishedSpan>> traces) {
        List<String> names = new ArrayList<>();
        for (List<FinishedSpan> trace : traces) {
            names.add(trace.get(trace.size() - 1).getName());
        }
        return names;
    }

    @Test
    void aSpansExceptionIsKeptAsItsTypeAndCutMessageWhileOtherReportersGetTheExceptionItself() throws Exception {
        InMemorySpanStore store = new InMemorySpanStore(100);
        List<FinishedSpan> reported = new ArrayList<>();
        TraceTracer tracer = Tracing.newBuilder().reporter(span -> {
            reported.add(span);
            store.report(span);
        }).build();
        // what a client's HttpServerErrorException holds: the whole response body
        IllegalStateException failure = new BodyHoldingException("downstream answered 500: " + "x".repeat(5_000),
                new byte[1 << 20]);
        Span span = tracer.nextSpan().name("GET /orders").tag("http.route", "/orders").start();
        span.error(failure);
        span.end();
        Span quiet = tracer.nextSpan().name("no message").start();
        quiet.error(new IllegalArgumentException());
        quiet.end();

        assertThat(reported.get(0).getError()).isSameAs(failure);
        FinishedSpan stored = store.trace(span.context().traceId()).get(0);
        assertThat(stored.getError()).isInstanceOf(ErrorSummary.class)
            .hasNoCause()
            .satisfies(error -> assertThat(error.getStackTrace()).isEmpty());
        ErrorSummary summary = (ErrorSummary) stored.getError();
        assertThat(summary.type()).isEqualTo(BodyHoldingException.class.getName());
        assertThat(summary.getMessage()).startsWith("downstream answered 500: xxx").hasSizeLessThan(1_100);
        assertThat(stored.getName()).isEqualTo("GET /orders");
        assertThat(stored.getTags()).containsEntry("http.route", "/orders");
        assertThat(stored.getStartTimestamp()).isEqualTo(reported.get(0).getStartTimestamp());
        assertThat(stored.getEndTimestamp()).isEqualTo(reported.get(0).getEndTimestamp());
        assertThat(store.recentSummaries(10, summaryOfTrace -> true)).anySatisfy(summaryOfTrace -> {
            assertThat(summaryOfTrace.traceId()).isEqualTo(span.context().traceId());
            assertThat(summaryOfTrace.error()).isTrue();
        });
        // what the traces endpoint and the exporters write of it: the exception's own type and message
        assertThat(ZipkinV2JsonEncoder.errorMessage(stored)).isEqualTo(summary.getMessage());
        assertThat(new ZipkinV2JsonEncoder().encode(stored)).contains("\"exception.type\":\"" + BodyHoldingException.class.getName() + "\"");
        FinishedSpan storedQuiet = store.trace(quiet.context().traceId()).get(0);
        assertThat(storedQuiet.getError()).hasMessage(null);
        assertThat(ZipkinV2JsonEncoder.errorMessage(storedQuiet)).isEqualTo("IllegalArgumentException");
    }

    /** An exception that holds more than its message, as Spring's HTTP client exceptions hold a body. */
    static final class BodyHoldingException extends IllegalStateException {

        final byte[] body;

        BodyHoldingException(String message, byte[] body) {
            super(message);
            this.body = body;
        }

    }

    @Test
    void spansAreGroupedByTraceInFinishOrder() {
        InMemorySpanStore store = new InMemorySpanStore(100);
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();

        Span a = trace(tracer, "a", 2);
        Span b = trace(tracer, "b", 1);

        assertThat(names(store.trace(a.context().traceId()))).containsExactly("a-child-0", "a-child-1", "a");
        assertThat(names(store.trace(b.context().traceId()))).containsExactly("b-child-0", "b");
        assertThat(store.trace(a.context().traceId())).allSatisfy(
                span -> assertThat(span.getTraceId()).isEqualTo(a.context().traceId()));
        assertThat(store.spanCount()).isEqualTo(5);
        assertThat(store.traceCount()).isEqualTo(2);
    }

    @Test
    void interleavedTracesStayApart() {
        InMemorySpanStore store = new InMemorySpanStore(100);
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();
        Span a = tracer.nextSpan().name("a").start();
        Span b = tracer.nextSpan().name("b").start();
        tracer.nextSpan(a).name("a1").start().end();
        tracer.nextSpan(b).name("b1").start().end();
        tracer.nextSpan(a).name("a2").start().end();
        b.end();
        a.end();

        assertThat(names(store.trace(a.context().traceId()))).containsExactly("a1", "a2", "a");
        assertThat(names(store.trace(b.context().traceId()))).containsExactly("b1", "b");
    }

    @Test
    void recentTracesAreNewestFirstAndLimited() {
        InMemorySpanStore store = new InMemorySpanStore(100);
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();
        for (String name : List.of("t1", "t2", "t3", "t4")) {
            trace(tracer, name, 1);
        }

        assertThat(rootNames(store.recentTraces(2))).containsExactly("t4", "t3");
        assertThat(rootNames(store.recentTraces(20))).containsExactly("t4", "t3", "t2", "t1");
        assertThat(store.recentTraces(0)).isEmpty();
        assertThat(store.recentTraces(-1)).isEmpty();
    }

    @Test
    void unknownTraceIsAnEmptyList() {
        InMemorySpanStore store = new InMemorySpanStore(10);

        assertThat(store.trace("463ac35c9f6413ad48485a3953bb6124")).isEmpty();
        assertThat(store.trace("not-an-id")).isEmpty();
        assertThat(store.recentTraces(5)).isEmpty();
    }

    @Test
    void returnedListsAreCopies() {
        InMemorySpanStore store = new InMemorySpanStore(10);
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();
        Span a = trace(tracer, "a", 1);

        List<FinishedSpan> snapshot = store.trace(a.context().traceId());
        tracer.nextSpan(a).name("late").start().end();

        assertThat(names(snapshot)).containsExactly("a-child-0", "a");
        assertThat(names(store.trace(a.context().traceId()))).containsExactly("a-child-0", "a", "late");
    }

    @Test
    void oldestWholeTracesAreEvictedFirstAndTheBoundIsNeverExceeded() {
        InMemorySpanStore store = new InMemorySpanStore(10);
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();

        Span t1 = trace(tracer, "t1", 3); // 4 spans
        Span t2 = trace(tracer, "t2", 3); // 8
        Span t3 = trace(tracer, "t3", 1); // 10: full, nothing evicted
        assertThat(store.spanCount()).isEqualTo(10);
        assertThat(store.traceCount()).isEqualTo(3);

        Span t4 = trace(tracer, "t4", 0); // 11 > 10: the whole of t1 goes
        assertThat(store.trace(t1.context().traceId())).isEmpty();
        assertThat(store.trace(t2.context().traceId())).hasSize(4);
        assertThat(store.trace(t3.context().traceId())).hasSize(2);
        assertThat(store.trace(t4.context().traceId())).hasSize(1);
        assertThat(store.spanCount()).isEqualTo(7);
        assertThat(store.evictedCount()).isEqualTo(4);
        assertThat(rootNames(store.recentTraces(10))).containsExactly("t4", "t3", "t2");

        int reported = 11;
        for (int i = 0; i < 50; i++) {
            trace(tracer, "more-" + i, i % 4);
            reported += 1 + i % 4;
            assertThat(store.spanCount()).isLessThanOrEqualTo(10);
            int held = 0;
            for (List<FinishedSpan> trace : store.recentTraces(Integer.MAX_VALUE)) {
                held += trace.size();
            }
            assertThat(held).isEqualTo(store.spanCount());
            // every span reported is held or was evicted: nothing leaves the store uncounted
            assertThat(held + store.evictedCount()).isEqualTo(reported);
        }
        assertThat(rootNames(store.recentTraces(1))).containsExactly("more-49");
        store.clear();
        assertThat(store.evictedCount()).isZero();
    }

    @Test
    void invalidBoundIsRejected() {
        assertThatIllegalArgumentException().isThrownBy(() -> InMemorySpanStore.builder().maxSpans(0));
        assertThat(new InMemorySpanStore(5).maxSpans()).isEqualTo(5);
    }

    @Test
    void clearEmptiesTheStore() {
        InMemorySpanStore store = new InMemorySpanStore(10);
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();
        Span a = trace(tracer, "a", 1);

        store.clear();

        assertThat(store.spanCount()).isZero();
        assertThat(store.traceCount()).isZero();
        assertThat(store.trace(a.context().traceId())).isEmpty();
    }

    @Test
    void concurrentInsertsKeepCountsConsistent() throws Exception {
        int threads = 4;
        int tracesPerThread = 500;
        int spansPerTrace = 5;
        InMemorySpanStore unbounded = new InMemorySpanStore(1_000_000);
        InMemorySpanStore bounded = new InMemorySpanStore(997);
        TraceTracer tracer = Tracing.newBuilder().reporter(span -> {
            unbounded.report(span);
            bounded.report(span);
        }).build();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < tracesPerThread; i++) {
                        trace(tracer, "t", spansPerTrace - 1);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : futures) {
                future.get(20, TimeUnit.SECONDS);
            }
        }
        finally {
            pool.shutdownNow();
        }

        assertThat(unbounded.spanCount()).isEqualTo(threads * tracesPerThread * spansPerTrace);
        assertThat(unbounded.traceCount()).isEqualTo(threads * tracesPerThread);
        List<List<FinishedSpan>> all = unbounded.recentTraces(Integer.MAX_VALUE);
        assertThat(all).hasSize(threads * tracesPerThread).allSatisfy(trace -> assertThat(trace).hasSize(spansPerTrace));

        assertThat(bounded.spanCount()).isLessThanOrEqualTo(997).isGreaterThan(997 - spansPerTrace);
        int held = 0;
        for (List<FinishedSpan> trace : bounded.recentTraces(Integer.MAX_VALUE)) {
            held += trace.size();
        }
        assertThat(held).isEqualTo(bounded.spanCount());
        assertThat(bounded.recentTraces(Integer.MAX_VALUE)).hasSize(bounded.traceCount());
    }

    @Test
    void newTracesBeyondTheLimitPerSecondAreRefusedWholeAndTheNextSecondTakesAgain() {
        long[] now = { 5_000_000_000L };
        InMemorySpanStore store = new InMemorySpanStore(100, 2, () -> now[0]);
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();

        Span a = trace(tracer, "a", 2);
        Span b = trace(tracer, "b", 1);
        Span c = trace(tracer, "c", 2);
        now[0] += 999_999_999L;
        Span d = trace(tracer, "d", 1);
        now[0] += 1L;
        Span e = trace(tracer, "e", 1);

        assertThat(names(store.trace(a.context().traceId()))).containsExactly("a-child-0", "a-child-1", "a");
        assertThat(names(store.trace(b.context().traceId()))).containsExactly("b-child-0", "b");
        // refused by its first span, so neither its other child nor its root opened a partial trace
        assertThat(store.trace(c.context().traceId())).isEmpty();
        assertThat(store.trace(d.context().traceId())).isEmpty();
        assertThat(names(store.trace(e.context().traceId()))).containsExactly("e-child-0", "e");
        assertThat(store.traceCount()).isEqualTo(3);
        assertThat(store.spanCount()).isEqualTo(7);
        // c's three spans and d's two, once a and b took the second (d's first by the lock, at the turn)
        assertThat(store.droppedCount(InMemorySpanStore.RATE_LIMITED)).isEqualTo(5);

        store.clear();

        assertThat(store.droppedCount(InMemorySpanStore.RATE_LIMITED)).isZero();
    }

    @Test
    void laterSpansOfARefusedTraceAreRefusedWithoutWaitingForTheLock() throws Exception {
        long[] now = { 5_000_000_000L };
        InMemorySpanStore store = new InMemorySpanStore(100, 1, () -> now[0]);
        Span refused = refusedByItsFirstSpan(Tracing.newBuilder().reporter(store).build());
        // in a second that still takes new traces, so only the table of refused traces can tell
        now[0] += 1_000_000_000L;

        assertThat(finishedWhileTheLockIsHeld(store, refused::end, 5_000)).isTrue();

        assertThat(store.trace(refused.context().traceId())).isEmpty();
        assertThat(store.droppedCount(InMemorySpanStore.RATE_LIMITED)).isEqualTo(2);
    }

    @Test
    void aNewTraceIsRefusedWithoutWaitingForTheLockOnceTheSecondIsFullAndStaysRefused() throws Exception {
        long[] now = { 5_000_000_000L };
        InMemorySpanStore store = new InMemorySpanStore(100, 1, () -> now[0]);
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();
        trace(tracer, "kept", 0);
        Span late = tracer.nextSpan().name("late").start();

        assertThat(finishedWhileTheLockIsHeld(store, () -> tracer.nextSpan(late).name("late-child").start().end(),
                5_000)).isTrue();
        now[0] += 1_000_000_000L;
        late.end();

        // refused by its first span, so not taken by the next second either
        assertThat(store.trace(late.context().traceId())).isEmpty();
        assertThat(store.droppedCount(InMemorySpanStore.RATE_LIMITED)).isEqualTo(2);
        assertThat(store.traceCount()).isEqualTo(1);
    }

    @Test
    void inAFullSecondsLastMillisecondTheLockDecidesANewTrace() throws Exception {
        long[] now = { 5_000_000_000L };
        InMemorySpanStore store = new InMemorySpanStore(100, 1, () -> now[0]);
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();
        trace(tracer, "kept", 0);
        now[0] += 999_500_000L;
        Span late = tracer.nextSpan().name("late").start();

        // so close to the turn it waits for the lock, whose holder may be opening the next second
        assertThat(finishedWhileTheLockIsHeld(store, late::end, 200)).isFalse();

        assertThat(store.trace(late.context().traceId())).isEmpty();
        assertThat(store.droppedCount(InMemorySpanStore.RATE_LIMITED)).isEqualTo(1);
    }

    @Test
    void heldTracesTakeTheirLaterSpansThroughEvictionsWhileEachSecondIsFull() {
        long[] now = { 0L };
        // a table of 512 slots for up to 128 traces: slots collide and evictions shift them back
        InMemorySpanStore store = new InMemorySpanStore(128, 64, () -> now[0]);
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();
        for (int second = 1; second <= 50; second++) {
            now[0] += 1_000_000_000L;
            List<Span> roots = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                // each new trace taken by its child, the last second's traces evicted to make room
                Span root = tracer.nextSpan().name("root").start();
                tracer.nextSpan(root).name("child").start().end();
                roots.add(root);
            }
            Span refused = trace(tracer, "refused", 0);
            for (Span root : roots) {
                root.end();
            }

            for (Span root : roots) {
                assertThat(names(store.trace(root.context().traceId()))).as("second %d", second)
                    .containsExactly("child", "root");
            }
            assertThat(store.trace(refused.context().traceId())).isEmpty();
            assertThat(store.droppedCount(InMemorySpanStore.RATE_LIMITED)).isEqualTo(second);
        }
    }

    @Test
    void ourSixtyFourBitTracesAreFoundHeldFromEitherTracersSpansAndAPaddedIdIsAnotherTrace() {
        long[] now = { 0L };
        InMemorySpanStore store = new InMemorySpanStore(100, 1, () -> now[0]);
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();
        // a trace continued from a caller that sent a 64-bit id, as B3 may
        SpanContext caller = SpanContext.create(0L, 0x463ac35c9f6413adL, 0L, 0x1L, true, false);
        Span ours = tracer.spanBuilder().setParent(caller).name("ours").start();
        ours.end();
        assertThat(ours.context().traceId()).isEqualTo("463ac35c9f6413ad");

        store.report(foreignSpan("0000000000000000463ac35c9f6413ad", "padded"));
        store.report(foreignSpan("463ac35c9f6413ad", "theirs"));
        tracer.spanBuilder().setParent(caller).name("ours-again").start().end();

        // the padded id is another key of the store, and its refusal did not refuse ours
        assertThat(store.trace("0000000000000000463ac35c9f6413ad")).isEmpty();
        assertThat(names(store.trace("463ac35c9f6413ad"))).containsExactly("ours", "theirs", "ours-again");
    }

    @Test
    void anIdBuiltToHashLikeAHeldTraceDoesNotCutOffThatTracesLaterSpans() {
        long[] now = { 0L };
        InMemorySpanStore store = new InMemorySpanStore(100, 2, () -> now[0]);
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();
        String held = "463ac35c9f6413ad48485a3953bb6124";
        SpanContext caller = SpanContext.create(0L, 0x463ac35c9f6413adL, 0L, 0x1L, true, false);
        // ids that hashed like the two above while the hash added the low half to a multiple of the high
        String twin = "463ac35c9f6413aeaa10e07fd470e50f";
        String twinOf64Bits = "0000000000000001a80349a320199798";

        store.report(foreignSpan(held, "first"));
        tracer.spanBuilder().setParent(caller).name("ours").start().end();
        // the next second is taken by the first two of these; each twin's span is refused by the lock
        now[0] += 1_000_000_000L;
        store.report(foreignSpan("0123456789abcdef0123456789abcdef", "filler"));
        store.report(foreignSpan("fedcba9876543210fedcba9876543210", "filler"));
        store.report(foreignSpan(twin, "hostile"));
        store.report(foreignSpan(twinOf64Bits, "hostile"));
        now[0] += 5_000_000_000L;
        store.report(foreignSpan(held, "root"));
        tracer.spanBuilder().setParent(caller).name("ours-again").start().end();

        assertThat(names(store.trace(held))).containsExactly("first", "root");
        assertThat(names(store.trace("463ac35c9f6413ad"))).containsExactly("ours", "ours-again");
        assertThat(store.trace(twin)).isEmpty();
        assertThat(store.droppedCount(InMemorySpanStore.RATE_LIMITED)).isEqualTo(2);
    }

    @Test
    void aStoreAboveTheTabledBoundStillRefusesNewTracesByItsLock() {
        long[] now = { 0L };
        InMemorySpanStore store = new InMemorySpanStore(InMemorySpanStore.MAX_TABLED_SPANS + 1, 1, () -> now[0]);
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();

        Span root = tracer.nextSpan().name("root").start();
        tracer.nextSpan(root).name("first").start().end();
        Span refused = trace(tracer, "refused", 1);
        root.end();

        assertThat(names(store.trace(root.context().traceId()))).containsExactly("first", "root");
        assertThat(store.trace(refused.context().traceId())).isEmpty();
        assertThat(store.droppedCount(InMemorySpanStore.RATE_LIMITED)).isEqualTo(2);
    }

    private static FinishedSpan foreignSpan(String traceId, String name) {
        SimpleSpan span = new SimpleSpan();
        span.context().setTraceId(traceId);
        span.context().setSpanId("a2fb4a1d1a96d312");
        span.name(name).start();
        span.end();
        return span;
    }

    @Test
    void anotherTracersSpanOfAHeldTraceIsTakenWhileTheSecondIsFull() {
        long[] now = { 0L };
        InMemorySpanStore store = new InMemorySpanStore(100, 1, () -> now[0]);
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();
        Span ours = trace(tracer, "ours", 0);

        store.report(foreignSpan(ours.context().traceId(), "theirs"));

        // hashed from the id's characters as ours is from its longs, so found among the held traces
        assertThat(names(store.trace(ours.context().traceId()))).containsExactly("ours", "theirs");
    }

    /** Two threads' work on one store, started together, and what must hold once both are done. */
    private record Race(Runnable first, Runnable second, Runnable check) {
    }

    /**
     * Runs {@code rounds} races, each made afresh by {@code round}: its two tasks start together, one
     * on this thread and one on another that spins for the start (a parked thread would wake too late
     * to overlap), and its check runs once both have finished.
     */
    private static void raceInRounds(int rounds, Supplier<Race> round) throws Exception {
        AtomicInteger started = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        AtomicReference<Race> current = new AtomicReference<>();
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            Future<?> otherRounds = other.submit(() -> {
                for (int i = 1; i <= rounds; i++) {
                    for (int spins = 1; started.get() < i; spins++) {
                        if (Thread.currentThread().isInterrupted()) {
                            return;
                        }
                        spinOrYield(spins);
                    }
                    current.get().second().run();
                    finished.set(i);
                }
            });
            for (int i = 1; i <= rounds; i++) {
                Race race = round.get();
                current.set(race);
                started.set(i);
                race.first().run();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                for (int spins = 1; finished.get() < i; spins++) {
                    if (otherRounds.isDone()) {
                        otherRounds.get();
                    }
                    if (System.nanoTime() - deadline > 0) {
                        throw new AssertionError("round " + i + " did not finish on the other thread");
                    }
                    spinOrYield(spins);
                }
                try {
                    race.check().run();
                }
                catch (AssertionError ex) {
                    throw new AssertionError("in round " + i + " of " + rounds + ": " + ex.getMessage(), ex);
                }
            }
            otherRounds.get(5, TimeUnit.SECONDS);
        }
        finally {
            other.shutdownNow();
        }
    }

    /** Spins while the other thread is likely running; on a machine short of cores, lets it run. */
    private static void spinOrYield(int spins) {
        if ((spins & 0xffff) == 0) {
            Thread.yield();
        }
        else {
            Thread.onSpinWait();
        }
    }

    private static List<FinishedSpan> foreignSpans(String traceId, String name, int count) {
        List<FinishedSpan> spans = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            spans.add(foreignSpan(traceId, name + "-" + i));
        }
        return spans;
    }

    /**
     * Returns {@code count} distinct 128-bit trace ids whose hashes probe from {@code home} in the held
     * traces' table of a store of {@code maxSpans} spans.
     */
    private static List<String> idsProbingFrom(int home, int count, int maxSpans, Random random) {
        HeldTraceHashes table = new HeldTraceHashes(maxSpans);
        assertThat(home).isLessThan(table.capacity());
        List<String> ids = new ArrayList<>();
        while (ids.size() < count) {
            String id = String.format("%016x%016x", random.nextLong() | 1L, random.nextLong());
            if (table.home(InMemorySpanStore.traceHash(id)) == home && !ids.contains(id)) {
                ids.add(id);
            }
        }
        return ids;
    }

    @Test
    void aSpanRacingTheSpanThatFillsTheSecondIsTakenWithItsTrace() throws Exception {
        String traceId = "463ac35c9f6413ad48485a3953bb6124";
        List<FinishedSpan> first = foreignSpans(traceId, "first", 20);
        List<FinishedSpan> second = foreignSpans(traceId, "second", 20);

        // one new trace a second: whichever thread's span takes it fills the second, and the other
        // thread's spans, refused without the lock once they see it full, must find the trace held
        raceInRounds(5_000, () -> {
            InMemorySpanStore store = new InMemorySpanStore(100, 1, () -> 0L);
            return new Race(() -> first.forEach(store::report), () -> second.forEach(store::report),
                    () -> assertThat(store.trace(traceId)).hasSize(40));
        });
    }

    @Test
    void aHeldTraceIsFoundWhileAnotherThreadsEvictionsMoveItsSlot() throws Exception {
        // a store of 24 spans has a table of 64 slots; 12 older traces and the watched one probe from
        // slot 0, so each eviction of an older trace shifts the watched trace's hash back a slot
        Random random = new Random(25);
        List<String> older = idsProbingFrom(0, 13, 24, random);
        String watched = older.remove(12);
        List<String> evicting = idsProbingFrom(32, 11, 24, random);
        // found by a reader behind the 12 older ones, and apart from the evicting traces' run
        assertThat(HeldTraceHashes.MAX_PROBE).isGreaterThan(13);
        assertThat(new HeldTraceHashes(24).capacity()).isGreaterThanOrEqualTo(64);
        List<FinishedSpan> olderSpans = new ArrayList<>();
        older.forEach(id -> olderSpans.add(foreignSpan(id, "older")));
        List<FinishedSpan> evictingFirst = new ArrayList<>();
        List<FinishedSpan> evictingSecond = new ArrayList<>();
        evicting.forEach(id -> {
            evictingFirst.add(foreignSpan(id, "first"));
            evictingSecond.add(foreignSpan(id, "second"));
        });
        FinishedSpan watchedFirst = foreignSpan(watched, "watched");
        List<FinishedSpan> watchedLater = foreignSpans(watched, "later", 40);

        raceInRounds(20_000, () -> {
            // 24 new traces a second, all taken here, so the second is full and first spans of other
            // traces are refused without the lock; at most 2 spans a trace
            InMemorySpanStore store = new InMemorySpanStore(24, 24, 2, () -> 0L);
            olderSpans.forEach(store::report);
            store.report(watchedFirst);
            evictingFirst.forEach(store::report);
            // the watched trace's first later span and the other thread's 11 second spans evict the 12
            // older traces, one each; the watched trace's other later spans are over its bound, and
            // each asks the table first, as every span does while the second is full
            return new Race(() -> watchedLater.forEach(store::report), () -> evictingSecond.forEach(store::report),
                    () -> {
                        assertThat(names(store.trace(watched))).containsExactly("watched", "later-0");
                        assertThat(store.droppedCount(InMemorySpanStore.RATE_LIMITED)).isZero();
                        assertThat(store.droppedCount(InMemorySpanStore.TRACE_FULL)).isEqualTo(39);
                        assertThat(store.traceCount()).isEqualTo(12);
                    });
        });
    }

    @Test
    void clearForgetsRefusedTraces() {
        long[] now = { 5_000_000_000L };
        InMemorySpanStore store = new InMemorySpanStore(100, 1, () -> now[0]);
        Span late = refusedByItsFirstSpan(Tracing.newBuilder().reporter(store).build());

        store.clear();
        now[0] += 1_000_000_000L;
        late.end();

        // decided afresh in a new second, as any trace the store has not seen
        assertThat(names(store.trace(late.context().traceId()))).containsExactly("refused");
    }

    @Test
    void refusedIdsAreToldApartByAll64BitsNotBySlotOrStringHash() {
        // 32-character ids that String.hashCode cannot tell apart ("Aa" and "BB" hash alike)
        String first = "0".repeat(30) + "Aa";
        String second = "0".repeat(30) + "BB";
        assertThat(first.hashCode()).isEqualTo(second.hashCode());
        assertThat(InMemorySpanStore.hash64(first)).isNotEqualTo(InMemorySpanStore.hash64(second));
        Set<Long> hashes = new HashSet<>();
        Random random = new Random(9);
        for (int i = 0; i < 100_000; i++) {
            long hash = InMemorySpanStore.hash64(Long.toHexString(random.nextLong()) + Long.toHexString(i));
            assertThat(hash).isNotZero();
            hashes.add(hash);
        }
        assertThat(hashes).hasSize(100_000);
    }

    @Test
    void keptSpansShareEqualNamesAndTagValuesAndReadTheSame() {
        InMemorySpanStore store = new InMemorySpanStore(100);
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();
        Span[] requests = new Span[3];
        for (int i = 0; i < requests.length; i++) {
            // each request builds its own copies, as instrumentation does
            requests[i] = tracer.nextSpan().name(new String("GET /back")).start();
            requests[i].tag("url.full", new StringBuilder("http://127.0.0.1:8080").append("/back").toString());
            requests[i].tag("http.response.status_code", String.valueOf(200 + i / 2));
            requests[i].end();
        }

        FinishedSpan first = store.trace(requests[0].context().traceId()).get(0);
        FinishedSpan second = store.trace(requests[1].context().traceId()).get(0);
        FinishedSpan third = store.trace(requests[2].context().traceId()).get(0);
        assertThat(second.getName()).isEqualTo("GET /back").isSameAs(first.getName());
        assertThat(second.getTags().get("url.full")).isEqualTo("http://127.0.0.1:8080/back")
            .isSameAs(first.getTags().get("url.full"));
        assertThat(second.getTags().get("http.response.status_code")).isSameAs(
                first.getTags().get("http.response.status_code"));
        assertThat(third.getTags()).containsExactly(Map.entry("url.full", "http://127.0.0.1:8080/back"),
                Map.entry("http.response.status_code", "201"));
    }

    @Test
    void spansOfATraceAlreadyKeptAreTakenWhateverTheLimit() {
        long[] now = { 0L };
        InMemorySpanStore store = new InMemorySpanStore(100, 1, () -> now[0]);
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();

        Span root = tracer.nextSpan().name("root").start();
        tracer.nextSpan(root).name("first").start().end();
        Span other = trace(tracer, "other", 0);
        tracer.nextSpan(root).name("second").start().end();
        root.end();

        assertThat(names(store.trace(root.context().traceId()))).containsExactly("first", "second", "root");
        assertThat(store.trace(other.context().traceId())).isEmpty();
    }

    @Test
    void aNegativeLimitIsRefusedAndZeroMeansNone() {
        assertThatIllegalArgumentException().isThrownBy(() -> InMemorySpanStore.builder().maxTracesPerSecond(-1))
            .withMessageContaining("must not be negative");
        InMemorySpanStore store = new InMemorySpanStore(1000, 0);
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();
        for (int i = 0; i < 300; i++) {
            trace(tracer, "t" + i, 1);
        }
        assertThat(store.traceCount()).isEqualTo(300);
        assertThat(store.maxTracesPerSecond()).isZero();
    }

    @Test
    void builderDefaults() {
        InMemorySpanStore store = InMemorySpanStore.builder().build();
        assertThat(store.maxSpans()).isEqualTo(InMemorySpanStore.DEFAULT_MAX_SPANS).isEqualTo(10_000);
        assertThat(store.maxTracesPerSecond()).isEqualTo(InMemorySpanStore.DEFAULT_MAX_TRACES_PER_SECOND)
            .isEqualTo(100);
        assertThat(store.maxSpansPerTrace()).isEqualTo(InMemorySpanStore.DEFAULT_MAX_SPANS_PER_TRACE).isEqualTo(1000);
    }

    @Test
    void oneTraceKeepsAtMostItsShareAndTheRestIsCountedNotEvictingOthers() {
        InMemorySpanStore store = InMemorySpanStore.builder().maxSpans(100).maxSpansPerTrace(10).build();
        TraceTracer tracer = Tracing.newBuilder().reporter(store).build();
        Span other = trace(tracer, "other", 1);
        Span root = tracer.nextSpan().name("flood").start();
        for (int i = 0; i < 300; i++) {
            tracer.nextSpan(root).name("child").start().end();
        }
        root.end();
        assertThat(store.trace(root.context().traceId())).hasSize(10);
        assertThat(store.trace(other.context().traceId())).hasSize(2);
        assertThat(store.droppedCount(InMemorySpanStore.TRACE_FULL)).isEqualTo(291);
        assertThat(store.droppedCount(InMemorySpanStore.RATE_LIMITED)).isZero();
        assertThatIllegalArgumentException().isThrownBy(() -> InMemorySpanStore.builder().maxSpansPerTrace(0));
    }

    @Test
    void aFilteredLookThroughTheWholeStoreLetsSpansBeRecordedMeanwhile() throws Exception {
        InMemorySpanStore store = new InMemorySpanStore(10_000);
        TraceTracer tracer = Tracing.newBuilder().serviceName("svc").reporter(store).build();
        for (int i = 0; i < 1000; i++) {
            tracer.nextSpan().name("GET /orders/" + i).start().end();
        }
        AtomicBoolean filteredUnderTheLock = new AtomicBoolean();
        AtomicInteger looked = new AtomicInteger();
        boolean[] recordedMeanwhile = new boolean[1];
        // as the endpoint's filter for a name no trace has: it looks at every trace
        List<InMemorySpanStore.Summary> none = store.recentSummaries(20, summary -> {
            if (Thread.holdsLock(store)) {
                filteredUnderTheLock.set(true);
            }
            if (looked.incrementAndGet() == 500) {
                // a request thread ends a span while the poll is half way
                Thread request = new Thread(() -> tracer.nextSpan().name("meanwhile").start().end());
                request.start();
                try {
                    request.join(2000);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                recordedMeanwhile[0] = !request.isAlive();
            }
            return summary.name().endsWith("no such path");
        });
        assertThat(none).isEmpty();
        assertThat(looked).hasValue(1000);
        assertThat(filteredUnderTheLock).isFalse();
        assertThat(recordedMeanwhile[0]).as("a span ended during the poll without waiting for it").isTrue();
        assertThat(store.traceCount()).isEqualTo(1001);
        // what a filter finds is still the newest first, up to the limit
        assertThat(store.recentSummaries(3, summary -> summary.name().endsWith("7")))
            .extracting(InMemorySpanStore.Summary::name)
            .containsExactly("GET /orders/997", "GET /orders/987", "GET /orders/977");
    }

    @Test
    void summariesNameTheRootCountTheSpansAndMarkErrorsNewestFirst() {
        InMemorySpanStore store = new InMemorySpanStore(100);
        TraceTracer tracer = Tracing.newBuilder().serviceName("svc").reporter(store).build();
        Span ok = trace(tracer, "ok", 2);
        Span failed = tracer.nextSpan().name("failed").start();
        tracer.nextSpan(failed).name("cause").start().error(new IllegalStateException("boom")).end();
        failed.end();

        List<InMemorySpanStore.Summary> summaries = store.recentSummaries(10, null);

        assertThat(summaries).extracting(InMemorySpanStore.Summary::name).containsExactly("failed", "ok");
        InMemorySpanStore.Summary first = summaries.get(0);
        assertThat(first.traceId()).isEqualTo(failed.context().traceId());
        assertThat(first.serviceName()).isEqualTo("svc");
        assertThat(first.spanCount()).isEqualTo(2);
        assertThat(first.error()).isTrue();
        assertThat(summaries.get(1).error()).isFalse();
        assertThat(summaries.get(1).spanCount()).isEqualTo(3);
        assertThat(summaries.get(1).traceId()).isEqualTo(ok.context().traceId());
        assertThat(store.recentSummaries(1, null)).extracting(InMemorySpanStore.Summary::name).containsExactly("failed");
        assertThat(store.recentSummaries(10, InMemorySpanStore.Summary::error))
            .extracting(InMemorySpanStore.Summary::name)
            .containsExactly("failed");
    }

}
