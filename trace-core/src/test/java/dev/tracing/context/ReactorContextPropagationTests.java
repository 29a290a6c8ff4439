package dev.tracing.context;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.tracing.core.MdcScopeDecorator;
import dev.tracing.core.ThreadLocalCurrentTraceContext;
import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import io.micrometer.context.ContextRegistry;
import io.micrometer.context.ContextSnapshotFactory;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.observability.DefaultSignalListener;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Reactor-Context scope manager without Spring: the span in the Reactor Context becomes the
 * thread's current span (and MDC) in every operator, and nothing is left on any thread afterwards.
 */
class ReactorContextPropagationTests {

    static final List<FinishedSpan> reported = new CopyOnWriteArrayList<>();

    static final TraceTracer tracer = Tracing.newBuilder()
        .serviceName("reactor-test")
        .currentTraceContext(new ThreadLocalCurrentTraceContext(List.of(new MdcScopeDecorator(List.of()))))
        .reporter(reported::add)
        .build();

    @BeforeAll
    static void registerAccessor() {
        ContextRegistry.getInstance()
            .registerThreadLocalAccessor(new TraceContextThreadLocalAccessor(tracer.currentTraceContext()));
    }

    @AfterAll
    static void unregisterAccessor() {
        Hooks.disableAutomaticContextPropagation();
        ContextRegistry.getInstance().removeThreadLocalAccessor(TraceContextThreadLocalAccessor.KEY);
    }

    @BeforeEach
    void clearReported() {
        reported.clear();
    }

    @AfterEach
    void disableHook() {
        Hooks.disableAutomaticContextPropagation();
        assertThat(tracer.currentTraceContext().context()).as("test thread context").isNull();
        assertThat(MDC.get("traceId")).as("test thread MDC").isNull();
    }

    /** What an operator saw: the current span's ids and the MDC's, on which thread. */
    record Seen(String where, String thread, String currentTraceId, String currentSpanId, String mdcTraceId,
            String mdcSpanId) {

        static Seen here(String where) {
            Span current = tracer.currentSpan();
            return new Seen(where, Thread.currentThread().getName(),
                    current == null ? null : current.context().traceId(),
                    current == null ? null : current.context().spanId(), MDC.get("traceId"), MDC.get("spanId"));
        }

        void assertIs(TraceContext context) {
            assertThat(this).as(where)
                .isEqualTo(new Seen(where, thread, context.traceId(), context.spanId(), context.traceId(),
                        context.spanId()));
        }
    }

    /** Runs a probe many times on every scheduler's threads and returns what they saw. */
    static List<Seen> probeThreads(Scheduler... schedulers) throws InterruptedException {
        List<Seen> seen = new CopyOnWriteArrayList<>();
        int rounds = Runtime.getRuntime().availableProcessors() * 8 + 16;
        CountDownLatch done = new CountDownLatch(rounds * schedulers.length);
        for (Scheduler scheduler : schedulers) {
            for (int i = 0; i < rounds; i++) {
                scheduler.schedule(() -> {
                    seen.add(Seen.here("probe"));
                    done.countDown();
                });
            }
        }
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        return seen;
    }

    static void assertNoThreadHasAContext(Scheduler... schedulers) throws InterruptedException {
        for (Seen seen : probeThreads(schedulers)) {
            assertThat(seen.currentTraceId()).as("current span on %s", seen.thread()).isNull();
            assertThat(seen.mdcTraceId()).as("MDC traceId on %s", seen.thread()).isNull();
            assertThat(seen.mdcSpanId()).as("MDC spanId on %s", seen.thread()).isNull();
        }
    }

    @Nested
    class Automatic {

        @BeforeEach
        void enable() {
            Hooks.enableAutomaticContextPropagation();
        }

        @Test
        void aValueOfAnotherTypeUnderTheKeyIsNoTraceAndFailsNothing() throws InterruptedException {
            Span span = tracer.nextSpan().name("request").start();
            List<Seen> seen = new CopyOnWriteArrayList<>();
            // the span itself instead of its context: no trace, rather than a ClassCastException in the chain
            Integer result = Mono.just(1)
                .publishOn(Schedulers.parallel())
                .map(i -> {
                    seen.add(Seen.here("map"));
                    return i + 1;
                })
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, span))
                .block(Duration.ofSeconds(5));
            span.end();
            assertThat(result).isEqualTo(2);
            assertThat(seen).singleElement().satisfies(map -> {
                assertThat(map.currentTraceId()).isNull();
                assertThat(map.mdcTraceId()).isNull();
            });
            assertNoThreadHasAContext(Schedulers.parallel());
        }

        @Test
        void everyOperatorSeesTheSpanOfTheReactorContext() throws InterruptedException {
            Span span = tracer.nextSpan().name("request").start();
            List<Seen> seen = new CopyOnWriteArrayList<>();
            List<Integer> result = Flux.range(1, 4)
                .map(i -> {
                    seen.add(Seen.here("map"));
                    return i;
                })
                .publishOn(Schedulers.parallel())
                .map(i -> {
                    seen.add(Seen.here("map after publishOn"));
                    return i;
                })
                .flatMap(i -> Mono.fromCallable(() -> {
                    seen.add(Seen.here("fromCallable on boundedElastic"));
                    return i;
                }).subscribeOn(Schedulers.boundedElastic()))
                .delayElements(Duration.ofMillis(2))
                .doOnNext(i -> seen.add(Seen.here("after delayElements")))
                .flatMap(i -> Mono.just(i).doOnNext(x -> seen.add(Seen.here("inside flatMap"))))
                .subscribeOn(Schedulers.single())
                .handle((i, sink) -> {
                    seen.add(Seen.here("handle"));
                    sink.next(i);
                })
                .cast(Integer.class)
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, span.context()))
                .collectList()
                .block(Duration.ofSeconds(10));
            span.end();

            assertThat(result).containsExactlyInAnyOrder(1, 2, 3, 4);
            assertThat(seen).extracting(Seen::where)
                .contains("map", "map after publishOn", "fromCallable on boundedElastic", "after delayElements",
                        "inside flatMap", "handle");
            assertThat(seen).hasSize(4 * 6);
            seen.forEach(s -> s.assertIs(span.context()));
            // the operators really did run on other threads
            assertThat(seen).extracting(Seen::thread)
                .anyMatch(t -> t.startsWith("parallel-"))
                .anyMatch(t -> t.startsWith("boundedElastic-"));

            assertNoThreadHasAContext(Schedulers.parallel(), Schedulers.boundedElastic(), Schedulers.single());
        }

        @Test
        void monoFromCallableOnBoundedElasticSeesTheSpan() throws InterruptedException {
            Span span = tracer.nextSpan().name("request").start();
            Seen seen = Mono.fromCallable(() -> Seen.here("fromCallable"))
                .subscribeOn(Schedulers.boundedElastic())
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, span.context()))
                .block(Duration.ofSeconds(5));
            span.end();
            assertThat(seen.thread()).startsWith("boundedElastic-");
            seen.assertIs(span.context());
            assertNoThreadHasAContext(Schedulers.boundedElastic());
        }

        @Test
        void concurrentChainsDoNotSeeEachOthersSpans() throws InterruptedException {
            int chains = 200;
            Map<String, List<Seen>> seenByTrace = new ConcurrentHashMap<>();
            List<Span> spans = new ArrayList<>();
            for (int i = 0; i < chains; i++) {
                spans.add(tracer.nextSpan().name("request-" + i).start());
            }
            Flux.fromIterable(spans)
                .flatMap(span -> Mono.just(span.context().traceId())
                    .publishOn(Schedulers.parallel())
                    .map(expected -> record(seenByTrace, expected, "publishOn"))
                    .delayElement(Duration.ofMillis(1))
                    .flatMap(expected -> Mono.fromCallable(() -> record(seenByTrace, expected, "fromCallable"))
                        .subscribeOn(Schedulers.boundedElastic()))
                    .map(expected -> record(seenByTrace, expected, "after"))
                    .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, span.context())), 50)
                .then()
                .block(Duration.ofSeconds(20));
            spans.forEach(Span::end);

            assertThat(seenByTrace).hasSize(chains);
            seenByTrace.forEach((traceId, seen) -> {
                assertThat(seen).hasSize(3);
                assertThat(seen).allSatisfy(s -> {
                    assertThat(s.currentTraceId()).as(s.where()).isEqualTo(traceId);
                    assertThat(s.mdcTraceId()).as(s.where()).isEqualTo(traceId);
                });
            });
            assertNoThreadHasAContext(Schedulers.parallel(), Schedulers.boundedElastic());
        }

        private String record(Map<String, List<Seen>> seenByTrace, String expected, String where) {
            seenByTrace.computeIfAbsent(expected, k -> new CopyOnWriteArrayList<>()).add(Seen.here(where));
            return expected;
        }

        @Test
        void blockingInsideASpanCapturesItIntoTheChain() throws InterruptedException {
            // with automatic propagation, block() captures the caller's thread-locals (our accessor's getValue)
            Span outer = tracer.nextSpan().name("outer").start();
            Seen seen;
            try (var ws = tracer.withSpan(outer)) {
                seen = Mono.just(1).publishOn(Schedulers.parallel()).map(i -> Seen.here("map")).block();
                assertThat(tracer.currentSpan()).isEqualTo(outer);
                assertThat(MDC.get("traceId")).isEqualTo(outer.context().traceId());
            }
            outer.end();
            seen.assertIs(outer.context());
            assertNoThreadHasAContext(Schedulers.parallel());
        }

        @Test
        void aChainWithoutASpanSeesNone() throws InterruptedException {
            CountDownLatch done = new CountDownLatch(1);
            Seen[] seen = new Seen[1];
            Mono.just(1).publishOn(Schedulers.parallel()).map(i -> Seen.here("map")).subscribe(s -> {
                seen[0] = s;
                done.countDown();
            });
            assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(seen[0].currentTraceId()).isNull();
            assertThat(seen[0].mdcTraceId()).isNull();
        }

        @Test
        void inChildSpanIsCurrentInsideAndDownstreamOperatorsSeeIt() throws InterruptedException {
            Span parent = tracer.nextSpan().name("request").start();
            List<Seen> seen = new CopyOnWriteArrayList<>();
            String result = ReactorTracing.inChildSpan(tracer, "child", child -> {
                seen.add(Seen.here("body"));
                return Mono.just("v")
                    .publishOn(Schedulers.parallel())
                    .map(v -> {
                        seen.add(Seen.here("map inside"));
                        return v;
                    });
            })
                .map(v -> {
                    seen.add(Seen.here("map after"));
                    return v;
                })
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, parent.context()))
                .block(Duration.ofSeconds(5));
            parent.end();

            assertThat(result).isEqualTo("v");
            FinishedSpan child = only("child");
            assertThat(child.getParentId()).isEqualTo(parent.context().spanId());
            assertThat(child.getTraceId()).isEqualTo(parent.context().traceId());
            assertThat(seen).hasSize(3);
            assertThat(seen.get(0).currentSpanId()).isEqualTo(child.getSpanId());
            assertThat(seen.get(1).currentSpanId()).isEqualTo(child.getSpanId());
            assertThat(seen.get(1).mdcSpanId()).isEqualTo(child.getSpanId());
            // outside the helper, the request's span is back
            assertThat(seen.get(2).currentSpanId()).isEqualTo(parent.context().spanId());
            assertThat(seen.get(2).mdcSpanId()).isEqualTo(parent.context().spanId());
            assertNoThreadHasAContext(Schedulers.parallel());
        }

    }

    @Nested
    class Helper {

        @Test
        void inChildSpanIsAChildOfTheContextSpanAndEndsOnceOnCompletion() {
            Span parent = tracer.nextSpan().name("request").start();
            String[] inside = new String[1];
            String result = ReactorTracing.inChildSpan(tracer, "child", child -> {
                inside[0] = tracer.currentSpan().context().spanId();
                assertThat(child.context().spanId()).isEqualTo(inside[0]);
                return Mono.just("done");
            })
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, parent.context()))
                .block(Duration.ofSeconds(5));
            parent.end();

            assertThat(result).isEqualTo("done");
            FinishedSpan child = only("child");
            assertThat(child.getSpanId()).isEqualTo(inside[0]);
            assertThat(child.getParentId()).isEqualTo(parent.context().spanId());
            assertThat(child.getTraceId()).isEqualTo(parent.context().traceId());
            assertThat(child.getError()).isNull();
            assertThat(tracer.currentSpan()).isNull();
        }

        @Test
        void inChildSpanFluxIsCurrentForEveryElementAndEndsOnceWithTheErrorOrOnCancel() {
            Span parent = tracer.nextSpan().name("request").start();
            List<String> seen = ReactorTracing.inChildSpanFlux(tracer, "child",
                    child -> Flux.range(1, 3).publishOn(Schedulers.parallel())
                        .flatMap(i -> Mono.deferContextual(ctx -> Mono.just(ReactorTracing.traceContext(ctx).spanId()))))
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, parent.context()))
                .collectList()
                .block(Duration.ofSeconds(5));
            FinishedSpan child = only("child");
            assertThat(seen).hasSize(3).containsOnly(child.getSpanId());
            assertThat(child.getParentId()).isEqualTo(parent.context().spanId());
            assertThat(child.getError()).isNull();

            reported.clear();
            IllegalStateException failure = new IllegalStateException("boom");
            Flux<Object> failing = ReactorTracing.inChildSpanFlux(tracer, "child",
                    span -> Flux.concat(Flux.just(1), Flux.error(failure)));
            assertThatThrownBy(failing::blockLast).isSameAs(failure);
            assertThat(only("child").getError()).isSameAs(failure);

            reported.clear();
            assertThat(ReactorTracing.inChildSpanFlux(tracer, "child", span -> Flux.interval(Duration.ofMillis(5)))
                .take(2)
                .count()
                .block(Duration.ofSeconds(5))).isEqualTo(2);
            // cancelled by take: ended once, no error
            assertThat(only("child").getError()).isNull();
            parent.end();
        }

        @Test
        void inChildSpanFallsBackToTheCurrentSpan() {
            Span parent = tracer.nextSpan().name("request").start();
            try (var ws = tracer.withSpan(parent)) {
                ReactorTracing.inChildSpan(tracer, "child", child -> Mono.just(1)).block();
            }
            parent.end();
            assertThat(only("child").getParentId()).isEqualTo(parent.context().spanId());
        }

        @Test
        void inChildSpanWithoutAnyParentIsANewTrace() {
            ReactorTracing.inChildSpan(tracer, "root", child -> Mono.just(1)).block();
            assertThat(only("root").getParentId()).isNull();
        }

        @Test
        void inChildSpanRecordsTheErrorAndEndsOnce() {
            Span parent = tracer.nextSpan().name("request").start();
            IllegalStateException failure = new IllegalStateException("boom");
            Mono<Object> mono = ReactorTracing.inChildSpan(tracer, "child",
                    child -> Mono.error(failure).publishOn(Schedulers.parallel()))
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, parent.context()));
            assertThatThrownBy(() -> mono.block(Duration.ofSeconds(5))).isSameAs(failure);
            parent.end();
            FinishedSpan child = only("child");
            assertThat(child.getError()).isSameAs(failure);
            assertThat(child.getParentId()).isEqualTo(parent.context().spanId());
        }

        @Test
        void inChildSpanWhoseBodyThrowsAnErrorOrReturnsNullFailsTheMonoAndEndsTheSpan() {
            AssertionError failure = new AssertionError("not a RuntimeException");
            Mono<Object> thrown = ReactorTracing.inChildSpan(tracer, "child", child -> {
                throw failure;
            });
            assertThatThrownBy(thrown::block).satisfies(error -> assertThat(Exceptions.unwrap(error)).isSameAs(failure));
            assertThat(only("child").getError()).isSameAs(failure);
            reported.clear();
            Mono<Object> none = ReactorTracing.inChildSpan(tracer, "child", child -> null);
            assertThatThrownBy(none::block).isInstanceOf(NullPointerException.class);
            assertThat(only("child").getError()).isInstanceOf(NullPointerException.class);
            assertThat(tracer.currentSpan()).isNull();
        }

        @Test
        void inChildSpanWhoseBodyThrowsFailsTheMonoAndEndsTheSpan() {
            IllegalArgumentException failure = new IllegalArgumentException("bad body");
            Mono<Object> mono = ReactorTracing.inChildSpan(tracer, "child", child -> {
                throw failure;
            });
            assertThatThrownBy(mono::block).isSameAs(failure);
            assertThat(only("child").getError()).isSameAs(failure);
            assertThat(tracer.currentSpan()).isNull();
            assertThat(MDC.get("traceId")).isNull();
        }

        @Test
        void inChildSpanEndsOnceOnCancel() throws InterruptedException {
            Span parent = tracer.nextSpan().name("request").start();
            CountDownLatch subscribed = new CountDownLatch(1);
            Disposable disposable = ReactorTracing.inChildSpan(tracer, "child",
                    child -> Mono.never().doOnSubscribe(s -> subscribed.countDown()))
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, parent.context()))
                .subscribe();
            assertThat(subscribed.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(reported).isEmpty();
            disposable.dispose();
            disposable.dispose();
            parent.end();
            FinishedSpan child = only("child");
            assertThat(child.getParentId()).isEqualTo(parent.context().spanId());
            assertThat(child.getError()).isNull();
        }

        @Test
        void inChildSpanEndsOnceOnTimeout() {
            Mono<Object> mono = ReactorTracing.inChildSpan(tracer, "child", child -> Mono.never())
                .timeout(Duration.ofMillis(50));
            assertThatThrownBy(() -> mono.block(Duration.ofSeconds(5))).hasCauseInstanceOf(java.util.concurrent.TimeoutException.class);
            only("child");
        }

        @Test
        void eachSubscriptionIsItsOwnSpan() {
            Mono<String> mono = ReactorTracing.inChildSpan(tracer, "child",
                    child -> Mono.just(child.context().spanId()));
            String first = mono.block();
            String second = mono.block();
            assertThat(first).isNotEqualTo(second);
            assertThat(reported).extracting(FinishedSpan::getSpanId).containsExactlyInAnyOrder(first, second);
        }

        @Test
        void traceContextOfAnEmptyContextIsNull() {
            assertThat(ReactorTracing.traceContext(Context.empty())).isNull();
            assertThat(ReactorTracing.traceContext(Context.of(TraceContextThreadLocalAccessor.KEY, "not a context")))
                .isNull();
            Span span = tracer.nextSpan().start();
            assertThat(ReactorTracing.traceContext(Context.of(TraceContextThreadLocalAccessor.KEY, span.context())))
                .isEqualTo(span.context());
            span.end();
        }

    }

    /**
     * Every test of {@link Automatic} again, with Reactor restoring through
     * {@link ChangeOnlyContextSnapshotFactory} as the starter installs it; and a restore that
     * changes nothing no longer reaches the accessors.
     */
    @Nested
    class AutomaticWithChangeOnlyRestores extends Automatic {

        @BeforeEach
        void install() {
            assertThat(ChangeOnlyContextSnapshotFactory.installInReactor(true)).isTrue();
        }

        @Test
        void aValueIsSetOnceForTheWholeChainNotAtEveryBoundary() {
            List<String> calls = new CopyOnWriteArrayList<>();
            ThreadLocal<String> local = new ThreadLocal<>();
            ContextRegistry.getInstance().registerThreadLocalAccessor("counting", () -> local.get(), value -> {
                calls.add("set " + value);
                local.set(value);
            }, () -> {
                calls.add("reset");
                local.remove();
            });
            try {
                List<String> seen = new CopyOnWriteArrayList<>();
                Mono.just(1)
                    .map(i -> {
                        seen.add(local.get());
                        return i;
                    })
                    .contextWrite(ctx -> ctx.put("unrelated-1", 1))
                    .map(i -> i + 1)
                    .contextWrite(ctx -> ctx.put("unrelated-2", 2))
                    .map(i -> {
                        seen.add(local.get());
                        return i;
                    })
                    .contextWrite(ctx -> ctx.put("counting", "v"))
                    .block(Duration.ofSeconds(5));
                assertThat(seen).containsExactly("v", "v");
                // Reactor restores around each outermost signal (subscribe, request, onNext, ...); the default
                // factory also sets the value again at every inner boundary and puts it back with another set
                assertThat(calls).isNotEmpty().hasSize(calls.size() / 2 * 2);
                for (int i = 0; i < calls.size(); i += 2) {
                    assertThat(calls.subList(i, i + 2)).as("call %d", i).containsExactly("set v", "reset");
                }
                assertThat(local.get()).isNull();
            }
            finally {
                ContextRegistry.getInstance().removeThreadLocalAccessor("counting");
            }
        }

    }

    /**
     * {@code trace.reactor.context-propagation=limited}: no automatic propagation. Reactor (with
     * context-propagation on the classpath) restores the thread-locals in {@code handle} and
     * {@code tap}; the Reactor Context itself and the helper always work.
     */
    @Nested
    class Limited {

        @BeforeEach
        void disable() throws ReflectiveOperationException {
            Hooks.disableAutomaticContextPropagation();
            // the factory Reactor starts with (disabling keeps whichever factory was last installed)
            Field factory = Class.forName("reactor.core.publisher.ContextPropagation")
                .getDeclaredField("globalContextSnapshotFactory");
            factory.setAccessible(true);
            factory.set(null, ContextSnapshotFactory.builder().clearMissing(false).build());
        }

        @Test
        void aValueOfAnotherTypeUnderTheKeyIsNoTraceInHandle() {
            List<Seen> seen = new CopyOnWriteArrayList<>();
            Integer result = Mono.just(1)
                .<Integer>handle((i, sink) -> {
                    seen.add(Seen.here("handle"));
                    sink.next(i + 1);
                })
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, "not a trace context"))
                .block(Duration.ofSeconds(5));
            assertThat(result).isEqualTo(2);
            assertThat(seen).singleElement().satisfies(handle -> assertThat(handle.currentTraceId()).isNull());
        }

        @Test
        void handleSeesTheSpan() throws InterruptedException {
            Span span = tracer.nextSpan().name("request").start();
            List<Seen> seen = new CopyOnWriteArrayList<>();
            Mono.just(1)
                .publishOn(Schedulers.parallel())
                .handle((i, sink) -> {
                    seen.add(Seen.here("handle"));
                    sink.next(i);
                })
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, span.context()))
                .block(Duration.ofSeconds(5));
            span.end();
            assertThat(seen).hasSize(1);
            seen.get(0).assertIs(span.context());
            assertNoThreadHasAContext(Schedulers.parallel());
        }

        @Test
        void tapSeesTheSpan() throws InterruptedException {
            Span span = tracer.nextSpan().name("request").start();
            List<Seen> seen = new CopyOnWriteArrayList<>();
            Supplier<DefaultSignalListener<Integer>> listener = () -> new DefaultSignalListener<>() {
                @Override
                public void doOnNext(Integer value) {
                    seen.add(Seen.here("tap onNext"));
                }
            };
            Flux.just(1, 2)
                .publishOn(Schedulers.parallel())
                .tap(listener::get)
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, span.context()))
                .blockLast(Duration.ofSeconds(5));
            span.end();
            assertThat(seen).hasSize(2);
            seen.forEach(s -> s.assertIs(span.context()));
            assertNoThreadHasAContext(Schedulers.parallel());
        }

        @Test
        void plainOperatorsDoNotSeeTheSpanButTheReactorContextHasIt() {
            Span span = tracer.nextSpan().name("request").start();
            Seen[] inMap = new Seen[1];
            String fromContext = Mono.just(1)
                .publishOn(Schedulers.parallel())
                .map(i -> {
                    inMap[0] = Seen.here("map");
                    return i;
                })
                .flatMap(i -> Mono.deferContextual(ctx -> Mono.just(ReactorTracing.traceContext(ctx).spanId())))
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, span.context()))
                .block(Duration.ofSeconds(5));
            span.end();
            assertThat(fromContext).isEqualTo(span.context().spanId());
            assertThat(inMap[0].currentTraceId()).isNull();
            assertThat(inMap[0].mdcTraceId()).isNull();
        }

        @Test
        void contextCaptureMovesTheThreadsSpanIntoTheReactorContext() {
            Span span = tracer.nextSpan().name("request").start();
            Mono<String> mono = Mono
                .deferContextual(ctx -> Mono.justOrEmpty(ReactorTracing.traceContext(ctx)).map(TraceContext::spanId))
                .publishOn(Schedulers.parallel())
                .contextCapture();
            String captured;
            try (var ws = tracer.withSpan(span)) {
                captured = mono.block(Duration.ofSeconds(5));
            }
            span.end();
            assertThat(captured).isEqualTo(span.context().spanId());
        }

        @Test
        void inChildSpanWorksFromTheReactorContext() {
            Span parent = tracer.nextSpan().name("request").start();
            String[] currentInBody = new String[1];
            ContextView[] contextInBody = new ContextView[1];
            ReactorTracing.inChildSpan(tracer, "child", child -> {
                currentInBody[0] = tracer.currentSpan().context().spanId();
                return Mono.deferContextual(ctx -> {
                    contextInBody[0] = ctx;
                    return Mono.just(1);
                }).publishOn(Schedulers.parallel());
            })
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, parent.context()))
                .block(Duration.ofSeconds(5));
            parent.end();
            FinishedSpan child = only("child");
            assertThat(child.getParentId()).isEqualTo(parent.context().spanId());
            assertThat(currentInBody[0]).isEqualTo(child.getSpanId());
            assertThat(ReactorTracing.traceContext(contextInBody[0]).spanId()).isEqualTo(child.getSpanId());
        }

    }

    /**
     * Every test of {@link Limited} again, with Reactor restoring through
     * {@link ChangeOnlyContextSnapshotFactory} (keeping what the context lacks), as the starter
     * installs it in {@code limited} mode.
     */
    @Nested
    class LimitedWithChangeOnlyRestores extends Limited {

        @BeforeEach
        void install() {
            assertThat(ChangeOnlyContextSnapshotFactory.installInReactor(false)).isTrue();
        }

    }

    /**
     * The one finished span named {@code name}. {@code doFinally} runs after the subscriber has
     * seen completion, so a span ended on another thread may be reported just after
     * {@code block()} returns: wait for it briefly.
     */
    static FinishedSpan only(String name) {
        await().until(() -> reported.stream().anyMatch(s -> name.equals(s.getName())));
        List<FinishedSpan> matching = reported.stream().filter(s -> name.equals(s.getName())).toList();
        assertThat(matching).as("finished spans named %s", name).hasSize(1);
        return matching.get(0);
    }

}
