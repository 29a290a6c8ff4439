package dev.tracing.instrument.annotation;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.tracing.autoconfigure.TraceAutoConfiguration;
import dev.tracing.autoconfigure.TraceObservationAutoConfiguration;
import dev.tracing.autoconfigure.TraceReactorAutoConfiguration;
import dev.tracing.context.ReactorTracing;
import dev.tracing.core.SpanLifecycle;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.annotation.ContinueSpan;
import io.micrometer.tracing.annotation.NewSpan;
import io.micrometer.tracing.annotation.SpanTag;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.ConnectableFlux;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static dev.tracing.testing.TraceAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code @NewSpan} on a method whose work completes after it returns: the span of a
 * {@code Mono}, {@code Flux} or {@code CompletableFuture} lasts until that work completes,
 * records its failure, and is the current span of a reactive chain; a synchronous method's is
 * Micrometer's, as before. {@code @ContinueSpan} on such a method writes its events as the work
 * starts and ends, and records the work's failure on the span it continues.
 */
class AsyncSpanAnnotationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withPropertyValues("trace.sampling.rate-limit=0", "trace.export.memory.max-traces-per-second=0")
        .withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class, TraceReactorAutoConfiguration.class,
                TraceObservationAutoConfiguration.class, AopAutoConfiguration.class))
        .withUserConfiguration(App.class);

    @Test
    void aMonosSpanLastsUntilItCompletesAndIsCurrentInItsChain() {
        runner.run(context -> {
            Calls calls = calls(context, 2, work -> List.of(work.load("42").block(Duration.ofSeconds(10))));
            FinishedSpan load = calls.named("load");
            assertThat(load.getParentId()).isEqualTo(calls.caller().getSpanId());
            assertThat(Duration.between(load.getStartTimestamp(), load.getEndTimestamp())).isGreaterThanOrEqualTo(
                    Duration.ofMillis(200));
            assertThat(load.getTags()).containsEntry("id", "42")
                .containsEntry("class", "Work")
                .containsEntry("method", "load");
            // the chain ran in the span: what it read from its Reactor Context
            assertThat(calls.results()).containsExactly(load.getSpanId());
        });
    }

    @Test
    void aFailedMonosSpanHasItsError() {
        runner.run(context -> {
            Calls calls = calls(context, 2, work -> {
                assertThatThrownBy(() -> work.fail().block(Duration.ofSeconds(10)))
                    .isInstanceOf(IllegalStateException.class);
                return List.of();
            });
            assertError(calls.named("fail"), IllegalStateException.class).hasMessage("no stock");
        });
    }

    @Test
    void eachSubscriptionHasASpanOfItsOwn() {
        runner.run(context -> {
            Calls calls = calls(context, 3, work -> {
                Mono<String> load = work.load("7");
                return List.of(load.block(Duration.ofSeconds(10)), load.block(Duration.ofSeconds(10)));
            });
            assertThat(calls.spans()).filteredOn(span -> span.getName().equals("load")).hasSize(2)
                .extracting(FinishedSpan::getSpanId)
                .containsExactlyInAnyOrderElementsOf(calls.results());
        });
    }

    @Test
    void aFluxsSpanLastsUntilItsLastElement() {
        runner.run(context -> {
            Calls calls = calls(context, 2, work -> work.count().map(String::valueOf).collectList()
                .block(Duration.ofSeconds(10)));
            assertThat(calls.results()).containsExactly("1", "2", "3");
            FinishedSpan count = calls.named("count");
            assertThat(count.getParentId()).isEqualTo(calls.caller().getSpanId());
            assertThat(Duration.between(count.getStartTimestamp(), count.getEndTimestamp()))
                .isGreaterThanOrEqualTo(Duration.ofMillis(150));
        });
    }

    @Test
    void aCompletableFuturesSpanLastsUntilItCompletesWithItsFailure() {
        runner.run(context -> {
            Calls calls = calls(context, 3, work -> {
                String done = work.later(false).get(10, TimeUnit.SECONDS);
                assertThatThrownBy(() -> work.later(true).get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class);
                return List.of(done);
            });
            assertThat(calls.results()).containsExactly("done");
            List<FinishedSpan> later = calls.spans().stream().filter(span -> span.getName().equals("later")).toList();
            assertThat(later).hasSize(2).allSatisfy(span -> {
                assertThat(span.getParentId()).isEqualTo(calls.caller().getSpanId());
                assertThat(Duration.between(span.getStartTimestamp(), span.getEndTimestamp()))
                    .isGreaterThanOrEqualTo(Duration.ofMillis(200));
            });
            // the stage's own failure, not the CompletionException around it
            assertThat(later).filteredOn(span -> span.getError() != null).singleElement()
                .satisfies(span -> assertError(span, IllegalStateException.class).hasMessage("late"));
        });
    }

    @Test
    void aMethodOfAnotherPublisherTypeReturnsItsOwnObject() {
        // a ConnectableFlux cannot be wrapped in a Flux of the same type: Micrometer's span, as before
        runner.run(context -> {
            Calls calls = calls(context, 2, work -> work.shared().autoConnect().map(String::valueOf).collectList()
                .block(Duration.ofSeconds(10)));
            assertThat(calls.results()).containsExactly("1", "2");
            assertThat(calls.named("shared").getParentId()).isEqualTo(calls.caller().getSpanId());
        });
    }

    @Test
    void aSynchronousMethodsSpanIsMicrometersAsBefore() {
        runner.run(context -> {
            Calls calls = calls(context, 2, work -> List.of(work.now("9")));
            FinishedSpan now = calls.named("now");
            assertThat(now.getParentId()).isEqualTo(calls.caller().getSpanId());
            assertThat(now.getTags()).containsEntry("id", "9");
            assertThat(calls.results()).containsExactly(now.getSpanId());
        });
    }

    @Test
    void aContinuedMonosEventsAndFailureComeWithItsWork() {
        runner.run(context -> {
            Calls calls = calls(context, 1, work -> {
                assertThatThrownBy(() -> work.check("A1").block(Duration.ofSeconds(10)))
                    .isInstanceOf(IllegalStateException.class);
                return List.of();
            });
            FinishedSpan caller = calls.caller();
            assertError(caller, IllegalStateException.class).hasMessage("out of stock");
            assertThat(caller.getEvents()).extracting(Map.Entry::getValue)
                .containsExactly("check.before", "check.afterFailure", "check.after");
            assertThat(microsBetween(caller, "check.before", "check.after")).isGreaterThanOrEqualTo(200_000);
            assertThat(caller.getTags()).containsEntry("sku", "A1")
                .containsEntry("class", "Work")
                .containsEntry("method", "check");
        });
    }

    @Test
    void aContinuedFluxsLastEventComesAfterItsLastElement() {
        runner.run(context -> {
            Calls calls = calls(context, 1, work -> work.stream().map(String::valueOf).collectList()
                .block(Duration.ofSeconds(10)));
            assertThat(calls.results()).containsExactly("1", "2", "3");
            FinishedSpan caller = calls.caller();
            assertThat(caller.getError()).isNull();
            assertThat(caller.getEvents()).extracting(Map.Entry::getValue)
                .containsExactly("stream.before", "stream.after");
            assertThat(microsBetween(caller, "stream.before", "stream.after")).isGreaterThanOrEqualTo(150_000);
        });
    }

    @Test
    void aContinuedFuturesFailureIsTheContinuedSpans() {
        runner.run(context -> {
            Calls calls = calls(context, 1, work -> {
                assertThatThrownBy(() -> work.confirm().get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class);
                return List.of();
            });
            FinishedSpan caller = calls.caller();
            // the stage's own failure, not the CompletionException around it
            assertError(caller, IllegalStateException.class).hasMessage("declined");
            assertThat(caller.getEvents()).extracting(Map.Entry::getValue)
                .containsExactly("confirm.before", "confirm.afterFailure", "confirm.after");
            assertThat(microsBetween(caller, "confirm.before", "confirm.after")).isGreaterThanOrEqualTo(200_000);
        });
    }

    @Test
    void aContinuedFuturesEventsAreWrittenBeforeTheCallersCallbacksRun() throws Exception {
        // the caller ends its span in a callback of the future the method returned
        runner.run(context -> {
            Tracer tracer = context.getBean(Tracer.class);
            Span caller = tracer.nextSpan().name("caller").start();
            CompletableFuture<String> confirmed;
            try (Tracer.SpanInScope scope = tracer.withSpan(caller)) {
                confirmed = context.getBean(Work.class).confirm();
            }
            confirmed.whenComplete((value, failure) -> caller.end());
            assertThatThrownBy(() -> confirmed.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
            FinishedSpan ended = TraceAssertions
                .awaitTrace(context.getBean(InMemorySpanStore.class), caller.context().traceId(), 1)
                .get(0);
            assertError(ended, IllegalStateException.class).hasMessage("declined");
            assertThat(ended.getEvents()).extracting(Map.Entry::getValue)
                .containsExactly("confirm.before", "confirm.afterFailure", "confirm.after");
        });
    }

    @Test
    void cancellingTheFutureCancelsTheMethodsOwnAndEndsItsSpan() {
        runner.run(context -> {
            Calls calls = calls(context, 2, work -> {
                CompletableFuture<String> later = work.later(false);
                assertThat(later.cancel(true)).isTrue();
                return List.of();
            });
            FinishedSpan later = calls.named("later");
            assertThat(Duration.between(later.getStartTimestamp(), later.getEndTimestamp()))
                .isLessThan(Duration.ofMillis(150));
        });
    }

    @Test
    void completingTheReturnedFutureCompletesTheMethodsOwnAndEndsItsSpan() {
        // the caller's timeout completes the future the method keeps, which then cleans up after itself
        runner.run(context -> {
            Work work = context.getBean(Work.class);
            Calls calls = calls(context, 2, called -> {
                CompletableFuture<String> reply = called.request("r1").orTimeout(100, TimeUnit.MILLISECONDS);
                assertThatThrownBy(() -> reply.get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TimeoutException.class);
                return List.of();
            });
            assertThat(work.pending()).isEmpty();
            assertError(calls.named("request"), TimeoutException.class);
        });
    }

    @Test
    void aMinimalStageIsReturnedAsItIsAndItsCopyTimesOut() {
        // a stage that refuses to be completed: the caller's copy of it (toCompletableFuture) still can be
        runner.run(context -> {
            CompletionStage<String> minimal = context.getBean(Work.class).minimal();
            CompletableFuture<String> copy = minimal.toCompletableFuture().orTimeout(50, TimeUnit.MILLISECONDS);
            assertThatThrownBy(() -> copy.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(TimeoutException.class);
        });
    }

    @Test
    void aFutureCompletesForItsCallerWhenRecordingItsSpanFails() {
        runner.withBean(SpanLifecycle.class, () -> new SpanLifecycle() {

            @Override
            public void started(FinishedSpan span) {
            }

            @Override
            public void ended(FinishedSpan span) {
                throw new AssertionError("a listener that fails");
            }

        }).run(context -> {
            CompletableFuture<String> later = context.getBean(Work.class).later(false);
            assertThat(later.get(10, TimeUnit.SECONDS)).isEqualTo("done");
        });
    }

    @Test
    void aContinuedMonoCancelledAfterItsValueEndsOnce() {
        runner.run(context -> {
            Calls calls = calls(context, 1, work -> List.of(work.peek().flux().next().block(Duration.ofSeconds(10))));
            assertThat(calls.results()).containsExactly("a");
            assertThat(calls.caller().getEvents()).extracting(Map.Entry::getValue)
                .containsExactly("peek.before", "peek.after");
        });
    }

    @Test
    void aContinuedMonoWithNoSpanToContinueGetsOneForItsWork() {
        runner.run(context -> {
            Work work = context.getBean(Work.class);
            assertThatThrownBy(() -> work.check("B2").block(Duration.ofSeconds(10)))
                .isInstanceOf(IllegalStateException.class);
            InMemorySpanStore store = context.getBean(InMemorySpanStore.class);
            FinishedSpan check = Awaitility.await()
                .until(() -> store.recentTraces(10)
                    .stream()
                    .flatMap(List::stream)
                    .filter(span -> span.getName().equals("check"))
                    .findFirst(), Optional::isPresent)
                .orElseThrow();
            assertThat(check.getParentId()).isNull();
            assertThat(Duration.between(check.getStartTimestamp(), check.getEndTimestamp()))
                .isGreaterThanOrEqualTo(Duration.ofMillis(200));
            assertError(check, IllegalStateException.class).hasMessage("out of stock");
            assertThat(check.getTags()).containsEntry("sku", "B2");
            // the events Micrometer's processor writes on the span it makes when there is none to continue
            assertThat(check.getEvents()).extracting(Map.Entry::getValue)
                .containsExactly("check.before", "check.afterFailure", "check.after");
        });
    }

    /** The microseconds between two events of {@code span}. */
    private static long microsBetween(FinishedSpan span, String first, String second) {
        Map<String, Long> times = new HashMap<>();
        span.getEvents().forEach(event -> times.put(event.getValue(), event.getKey()));
        return times.get(second) - times.get(first);
    }

    /** What the calls made in a caller's span returned, and the spans of that trace once all have ended. */
    record Calls(List<String> results, List<FinishedSpan> spans, FinishedSpan caller) {

        FinishedSpan named(String name) {
            return spans.stream().filter(span -> span.getName().equals(name)).findFirst().orElseThrow();
        }

    }

    interface WorkCalls {

        List<String> call(Work work) throws Exception;

    }

    private static Calls calls(ApplicationContext context, int spans, WorkCalls calls) throws Exception {
        Tracer tracer = context.getBean(Tracer.class);
        Span caller = tracer.nextSpan().name("caller").start();
        List<String> results;
        try (Tracer.SpanInScope scope = tracer.withSpan(caller)) {
            results = calls.call(context.getBean(Work.class));
        }
        finally {
            caller.end();
        }
        List<FinishedSpan> finished = TraceAssertions.awaitTrace(context.getBean(InMemorySpanStore.class),
                caller.context().traceId(), spans);
        FinishedSpan callerSpan = finished.stream().filter(span -> span.getName().equals("caller")).findFirst()
            .orElseThrow();
        return new Calls(results, finished, callerSpan);
    }

    static class Work {

        private final Tracer tracer;

        Work(Tracer tracer) {
            this.tracer = tracer;
        }

        @NewSpan("load")
        public Mono<String> load(@SpanTag("id") String id) {
            return Mono.delay(Duration.ofMillis(200))
                .then(Mono.deferContextual(context -> Mono.just(ReactorTracing.traceContext(context).spanId())));
        }

        @NewSpan("fail")
        public Mono<String> fail() {
            return Mono.delay(Duration.ofMillis(50)).then(Mono.error(new IllegalStateException("no stock")));
        }

        @NewSpan("count")
        public Flux<Integer> count() {
            return Flux.range(1, 3).delayElements(Duration.ofMillis(50));
        }

        @NewSpan("later")
        public CompletableFuture<String> later(boolean failing) {
            return CompletableFuture.supplyAsync(() -> {
                sleep(200);
                if (failing) {
                    throw new IllegalStateException("late");
                }
                return "done";
            });
        }

        @ContinueSpan(log = "check")
        public Mono<String> check(@SpanTag("sku") String sku) {
            return Mono.delay(Duration.ofMillis(200)).then(Mono.error(new IllegalStateException("out of stock")));
        }

        @ContinueSpan(log = "stream")
        public Flux<Integer> stream() {
            return Flux.range(1, 3).delayElements(Duration.ofMillis(50));
        }

        private final Map<String, CompletableFuture<String>> pending = new ConcurrentHashMap<>();

        /** The replies not come yet (read through the method: the bean is a class proxy). */
        public Map<String, CompletableFuture<String>> pending() {
            return pending;
        }

        @NewSpan("request")
        public CompletableFuture<String> request(String id) {
            CompletableFuture<String> reply = new CompletableFuture<>();
            pending.put(id, reply);
            reply.whenComplete((value, failure) -> pending.remove(id));
            return reply;
        }

        @NewSpan("minimal")
        public CompletionStage<String> minimal() {
            return CompletableFuture.supplyAsync(() -> {
                sleep(1000);
                return "late";
            }).minimalCompletionStage();
        }

        @ContinueSpan(log = "peek")
        public Mono<String> peek() {
            return Mono.just("a");
        }

        @ContinueSpan(log = "confirm")
        public CompletableFuture<String> confirm() {
            return CompletableFuture.supplyAsync(() -> {
                sleep(200);
                throw new IllegalStateException("declined");
            });
        }

        @NewSpan("shared")
        public ConnectableFlux<Integer> shared() {
            return Flux.range(1, 2).publish();
        }

        @NewSpan("now")
        public String now(@SpanTag("id") String id) {
            return tracer.currentSpan().context().spanId();
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class App {

        @Bean
        Work work(Tracer tracer) {
            return new Work(tracer);
        }

    }

}
