package dev.tracing.instrument.webflux;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import dev.tracing.context.TraceContextThreadLocalAccessor;
import dev.tracing.core.SpanContext;
import dev.tracing.core.ThreadLocalCurrentTraceContext;
import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import dev.tracing.instrument.http.HttpSpanPolicy;
import dev.tracing.propagation.CompositePropagator;
import dev.tracing.propagation.PropagationType;
import dev.tracing.testing.ReactorPropagationState;
import io.micrometer.context.ContextRegistry;
import io.micrometer.context.ThreadLocalAccessor;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.http.server.reactive.MockServerHttpResponse;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.util.pattern.PathPatternParser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the server filter shows of itself to Spring's filter chain, and how it finds the decorator's span. */
@ExtendWith(ReactorPropagationState.RestoredAfterEach.class)
class TraceWebFilterTests {

    /** The accessors of context-propagation's registry before this class, in their order. */
    private static List<ThreadLocalAccessor<?>> registeredBefore;

    /**
     * Reactor restores thread-locals through the accessors registered with context-propagation: with
     * none for the trace, what automatic propagation does to the span would go unseen here. Any
     * tracer's accessor sets the one current context of the thread.
     */
    @BeforeAll
    static void registerTheTraceAccessor() {
        registeredBefore = List.copyOf(ContextRegistry.getInstance().getThreadLocalAccessors());
        ContextRegistry.getInstance()
            .registerThreadLocalAccessor(new TraceContextThreadLocalAccessor(Tracing.newBuilder().build()
                .currentTraceContext()));
    }

    /** Puts back the registry as it was, in its order (Reactor restores the accessors in that order). */
    @AfterAll
    static void putBackTheAccessors() {
        ContextRegistry registry = ContextRegistry.getInstance();
        for (ThreadLocalAccessor<?> accessor : List.copyOf(registry.getThreadLocalAccessors())) {
            registry.removeThreadLocalAccessor(accessor.key());
        }
        registeredBefore.forEach(registry::registerThreadLocalAccessor);
    }

    private final List<FinishedSpan> spans = new ArrayList<>();

    /** The current context on the thread as each SERVER span was reported. */
    private final List<TraceContext> endedWhile = new ArrayList<>();

    private final TraceTracer tracer = Tracing.newBuilder().reporter(span -> {
        if (span.getKind() == Span.Kind.SERVER) {
            endedWhile.add(currentContext());
        }
        spans.add(span);
    }).build();

    private final TraceWebFilter filter = newFilter(tracer);

    /** The server filter over {@code tracer}, W3C propagation and the default HTTP policy. */
    static TraceWebFilter newFilter(TraceTracer tracer) {
        return new TraceWebFilter(tracer,
                CompositePropagator.builder(tracer)
                    .consume(List.of(PropagationType.W3C))
                    .produce(List.of(PropagationType.W3C))
                    .build(),
                HttpSpanPolicy.builder().build());
    }

    @Test
    void describesItselfWithOneConstantString() {
        // Spring's DefaultWebFilterChain asks every filter for toString() on every request, to
        // describe its checkpoint: Object.toString() would build a new string (class name and
        // hash) each time
        assertThat(filter.toString()).isEqualTo("TraceWebFilter").isSameAs(filter.toString());
    }

    @Test
    void anExchangeWhoseRequestIsNotTheServersStillGetsTheDecoratorsSpan() {
        // a server adapter (or an HttpHandler decorator inside ours) that hands the chain a request of its own:
        // the filter finds the decorator's span through the Reactor Context instead of the server's request
        HttpHandler handler = (request, response) -> {
            MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/orders/7"));
            return filter.filter(exchange, chained -> {
                chained.getAttributes().put(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE,
                        PathPatternParser.defaultInstance.parse("/orders/{id}"));
                return Mono.empty();
            });
        };

        filter.decorate(handler).handle(MockServerHttpRequest.get("/orders/7").build(), new MockServerHttpResponse())
            .block();

        assertThat(spans).singleElement().satisfies(span -> {
            assertThat(span.getKind()).isEqualTo(Span.Kind.SERVER);
            assertThat(span.getName()).isEqualTo("GET /orders/{id}");
        });
    }

    @Test
    void aHandlerThatThrowsInsteadOfFailingItsMonoEndsTheSpanWithTheError() {
        IllegalStateException broken = new IllegalStateException("handler broken");
        HttpHandler handler = (request, response) -> {
            throw broken;
        };

        assertThatThrownBy(() -> filter.decorate(handler)
            .handle(MockServerHttpRequest.get("/orders/7").build(), new MockServerHttpResponse())).isSameAs(broken);

        assertThat(spans).singleElement().satisfies(span -> {
            assertThat(span.getKind()).isEqualTo(Span.Kind.SERVER);
            assertThat(span.getError()).isSameAs(broken);
        });
    }

    @ParameterizedTest
    @ValueSource(booleans = { false, true })
    void theSpanIsInTheContextAndCurrentWhileTheExchangeIsSubscribedToAndCancelled(boolean automatic) {
        // code that runs as the exchange is subscribed to, or cancelled (the client went away), logs with the
        // trace, in either propagation mode; nothing is left on the thread after
        propagation(automatic);
        Span outer = tracer.nextSpan().name("outer").start();
        Seen seen;
        try (Tracer.SpanInScope ws = tracer.withSpan(outer)) {
            seen = subscribeThenCancel();
            // each span made current was put back: the outer one is current again
            assertThat(tracer.currentSpan()).isEqualTo(outer);
        }

        assertThat(seen.inContext).isEqualTo(seen.span);
        assertThat(seen.atSubscribe).isEqualTo(seen.span);
        assertThat(seen.atCancel).isEqualTo(seen.span);
        assertThat(seen.atEnd).as("the span ends while current, as its exporters and logs expect")
            .isEqualTo(seen.span);
        assertThat(tracer.currentTraceContext().context()).isNull();
    }

    @ParameterizedTest
    @CsvSource({ "false, true", "false, false", "true, true", "true, false" })
    void aSkippedRequestsUnsampledContextIsCurrentAsItsExchangeIsSubscribedTo(boolean automatic, boolean decorated) {
        // what runs as the server subscribes (a controller method that needs no body) records nothing, in
        // either propagation mode, as the decorator or as the filter alone
        propagation(automatic);
        TraceContext untraced = SpanContext.notSampled();
        TraceWebFilter skipping = new TraceWebFilter(tracer,
                CompositePropagator.builder(tracer).consume(List.of(PropagationType.W3C)).build(),
                HttpSpanPolicy.builder().skipPattern("/health").untracedContexts(() -> untraced).build());
        TraceContext[] atSubscribe = new TraceContext[1];
        Mono<Void> exchangeWork = Mono.fromRunnable(() -> atSubscribe[0] = currentContext());
        if (decorated) {
            skipping.decorate((request, response) -> exchangeWork)
                .handle(MockServerHttpRequest.get("/health").build(), new MockServerHttpResponse())
                .block(Duration.ofSeconds(5));
        }
        else {
            skipping.filter(MockServerWebExchange.from(MockServerHttpRequest.get("/health")), chained -> exchangeWork)
                .block(Duration.ofSeconds(5));
        }

        assertThat(atSubscribe[0]).isSameAs(untraced);
        assertThat(spans).isEmpty();
        assertThat(currentContext()).isNull();
    }

    @ParameterizedTest
    @ValueSource(booleans = { false, true })
    void anExceptionHandlerAfterTheFilterSeesTheSpanOfTheRequestThatFailed(boolean automatic) {
        // without the HttpHandler decorator the filter's span ends before Spring's exception handlers run: they
        // log the failure with its trace all the same, whatever thread it failed on
        propagation(automatic);
        Object[] seen = new Object[1];
        MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/orders/7"));

        filter.filter(exchange, chained -> Mono.delay(Duration.ofMillis(20), later)
            .then(Mono.error(new IllegalStateException("handler failed"))))
            .onErrorResume(ex -> Mono.fromRunnable(() -> seen[0] = id(currentContext())))
            .block(Duration.ofSeconds(5));

        FinishedSpan span = spans.get(0);
        assertThat(span.getError()).hasMessage("handler failed");
        assertThat(seen[0]).isEqualTo(span.getTraceId() + "/" + span.getSpanId());
        assertNothingLeftOnEitherThread();
    }

    @Test
    void anEndThatCannotMakeTheSpanCurrentStillEndsTheSpanAndReachesTheServer() {
        // tracing never fails a request: where making the span current fails (an Observation that throws), the
        // completion is passed on without it
        FailingScopes scopes = new FailingScopes();
        TraceTracer failing = Tracing.newBuilder().currentTraceContext(scopes).reporter(spans::add).build();
        Sinks.Empty<Void> handled = Sinks.empty();
        boolean[] completed = new boolean[1];
        newFilter(failing).decorate((request, response) -> handled.asMono())
            .handle(MockServerHttpRequest.get("/orders/7").build(), new MockServerHttpResponse())
            .subscribe(null, null, () -> completed[0] = true);

        scopes.failing = true;
        handled.tryEmitEmpty();

        assertThat(completed[0]).isTrue();
        assertThat(spans).singleElement().satisfies(span -> assertThat(span.getKind()).isEqualTo(Span.Kind.SERVER));
    }

    @Test
    void aRequestForWhichTheSpanCannotBeMadeCurrentIsHandledAndTraced() {
        // as a decorator and as a filter: the handler runs without the span current, and the span still ends
        FailingScopes scopes = new FailingScopes();
        scopes.failing = true;
        TraceTracer failing = Tracing.newBuilder().currentTraceContext(scopes).reporter(spans::add).build();
        TraceWebFilter failingFilter = newFilter(failing);
        List<String> handled = new ArrayList<>();

        failingFilter.decorate((request, response) -> Mono.fromRunnable(() -> handled.add("decorated")))
            .handle(MockServerHttpRequest.get("/orders/7").build(), new MockServerHttpResponse())
            .block(Duration.ofSeconds(5));
        failingFilter.filter(MockServerWebExchange.from(MockServerHttpRequest.get("/orders/8")),
                chained -> Mono.fromRunnable(() -> handled.add("filtered")))
            .block(Duration.ofSeconds(5));

        assertThat(handled).containsExactly("decorated", "filtered");
        assertThat(spans).hasSize(2).allSatisfy(span -> {
            assertThat(span.getKind()).isEqualTo(Span.Kind.SERVER);
            assertThat(span.getError()).isNull();
        });
    }

    /** Scopes on the thread, as usual, until {@link #failing}: then opening one throws. */
    private static final class FailingScopes implements CurrentTraceContext {

        private final CurrentTraceContext delegate = new ThreadLocalCurrentTraceContext();

        volatile boolean failing;

        @Override
        public TraceContext context() {
            return delegate.context();
        }

        @Override
        public Scope newScope(TraceContext context) {
            if (failing) {
                throw new IllegalStateException("no scope");
            }
            return delegate.newScope(context);
        }

        @Override
        public Scope maybeScope(TraceContext context) {
            return newScope(context);
        }

        @Override
        public <C> Callable<C> wrap(Callable<C> task) {
            return delegate.wrap(task);
        }

        @Override
        public Runnable wrap(Runnable task) {
            return delegate.wrap(task);
        }

        @Override
        public Executor wrap(Executor delegate) {
            return this.delegate.wrap(delegate);
        }

        @Override
        public ExecutorService wrap(ExecutorService delegate) {
            return this.delegate.wrap(delegate);
        }

    }

    /** Turns Reactor's automatic propagation on or off for one test (the extension puts it back). */
    private static void propagation(boolean automatic) {
        if (automatic) {
            Hooks.enableAutomaticContextPropagation();
        }
        else {
            Hooks.disableAutomaticContextPropagation();
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = { false, true })
    void theServerSeesTheSpanAsItSubscribesAndAsTheExchangeCompletesLaterOnAnotherThread(boolean automatic) {
        // what the server runs as it subscribes to the exchange and as the exchange's end reaches it (Spring's
        // adapter, Reactor Netty finishing the response) logs with the trace, whatever thread the end comes on
        propagation(automatic);
        Seen seen = new Seen();
        Mono<Void> exchange = filter.decorate((request, response) -> Mono.delay(Duration.ofMillis(20), later).then())
            .handle(MockServerHttpRequest.get("/orders/7").build(), new MockServerHttpResponse());
        // Reactor puts no restoring subscriber of its own between the exchange and the server
        assertThat(Mono.fromDirect(exchange)).isSameAs(exchange);

        exchange.doOnSubscribe(subscription -> seen.atSubscribe = id(currentContext()))
            .doOnSuccess(done -> seen.atEnd = id(currentContext()))
            .block(Duration.ofSeconds(5));

        FinishedSpan span = spans.get(0);
        assertThat(seen.atSubscribe).isEqualTo(span.getTraceId() + "/" + span.getSpanId());
        assertThat(seen.atEnd).isEqualTo(seen.atSubscribe);
        assertThat(id(endedWhile.get(0))).as("the span ends while current").isEqualTo(seen.atSubscribe);
        assertNothingLeftOnEitherThread();
    }

    /** The thread the exchanges complete on, later: its own, so that what they leave on it can be read. */
    private final ScheduledExecutorService laterThread = Executors.newSingleThreadScheduledExecutor();

    private final Scheduler later = Schedulers.fromExecutorService(laterThread);

    @AfterEach
    void stopTheLaterThread() {
        laterThread.shutdownNow();
    }

    /** Nothing current on this thread, nor on the later one once its task has returned. */
    private void assertNothingLeftOnEitherThread() {
        assertThat(currentContext()).isNull();
        // a task of its own, which Reactor does not wrap, runs after the completion's has returned
        assertThat(laterThread.submit(this::currentContext)).succeedsWithin(Duration.ofSeconds(5)).isNull();
    }

    /** Decorates a handler that never completes, subscribes to it and cancels it, noting what it saw. */
    private Seen subscribeThenCancel() {
        Seen seen = new Seen();
        HttpHandler handler = (request, response) -> Mono.deferContextual(context -> {
            seen.inContext = context.getOrDefault(TraceContextThreadLocalAccessor.KEY, null);
            seen.atSubscribe = tracer.currentTraceContext().context();
            return Mono.<Void>never();
        }).doOnCancel(() -> seen.atCancel = tracer.currentTraceContext().context());

        filter.decorate(handler)
            .handle(MockServerHttpRequest.get("/orders/7").build(), new MockServerHttpResponse())
            .subscribe()
            .dispose();

        assertThat(spans).filteredOn(span -> span.getKind() == Span.Kind.SERVER).singleElement().satisfies(span -> {
            assertThat(span.getTags()).containsEntry(HttpSpanPolicy.CANCELLED_TAG, "true");
            seen.span = span.getTraceId() + "/" + span.getSpanId();
        });
        seen.inContext = id(seen.inContext);
        seen.atSubscribe = id(seen.atSubscribe);
        seen.atCancel = id(seen.atCancel);
        seen.atEnd = id(endedWhile.get(0));
        return seen;
    }

    private TraceContext currentContext() {
        return tracer.currentTraceContext().context();
    }

    private static Object id(Object context) {
        return context instanceof TraceContext trace ? trace.traceId() + "/" + trace.spanId() : context;
    }

    /** What the exchange saw of the span: each as "traceId/spanId". */
    private static final class Seen {

        Object span;

        Object inContext;

        Object atSubscribe;

        Object atCancel;

        Object atEnd;

    }

}
