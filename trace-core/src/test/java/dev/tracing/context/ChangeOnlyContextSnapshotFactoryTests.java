package dev.tracing.context;

import java.util.ArrayList;
import java.util.List;

import io.micrometer.context.ContextRegistry;
import io.micrometer.context.ContextSnapshot;
import io.micrometer.context.ThreadLocalAccessor;
import dev.tracing.core.MdcScopeDecorator;
import dev.tracing.core.ThreadLocalCurrentTraceContext;
import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.TracingObservationHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.MDC;
import reactor.util.context.Context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A restore from a Reactor Context touches only the thread-locals whose value it changes, and puts
 * those back as context-propagation's default factory would.
 */
class ChangeOnlyContextSnapshotFactoryTests {

    private final List<String> calls = new ArrayList<>();

    private final Recording first = new Recording("first");

    private final Recording second = new Recording("second");

    private final ContextRegistry registry = new ContextRegistry().loadContextAccessors();

    @AfterEach
    void clearThread() {
        first.local.remove();
        second.local.remove();
    }

    @Test
    void restoringWhatTheThreadHasCallsNoAccessorAndSharesOneScope() {
        registry.registerThreadLocalAccessor(first);
        ChangeOnlyContextSnapshotFactory factory = new ChangeOnlyContextSnapshotFactory(registry, true);
        first.local.set("a");

        ContextSnapshot.Scope scope = factory.setThreadLocalsFrom(Context.of("first", "a"));
        ContextSnapshot.Scope again = factory.setThreadLocalsFrom(Context.of("first", "a", "other", "x"));
        again.close();
        scope.close();

        assertThat(again).isSameAs(scope);
        assertThat(calls).isEmpty();
        assertThat(first.local.get()).isEqualTo("a");
        first.local.remove();
        assertThat(factory.setThreadLocalsFrom(Context.empty())).as("nothing to clear").isSameAs(scope);
    }

    @Test
    void aChangedValueIsSetAndThePreviousOnePutBack() {
        registry.registerThreadLocalAccessor(first);
        ChangeOnlyContextSnapshotFactory factory = new ChangeOnlyContextSnapshotFactory(registry, true);
        first.local.set("a");

        try (ContextSnapshot.Scope scope = factory.setThreadLocalsFrom(Context.of("first", "b"))) {
            assertThat(first.local.get()).isEqualTo("b");
        }
        assertThat(first.local.get()).isEqualTo("a");
        first.local.remove();
        try (ContextSnapshot.Scope scope = factory.setThreadLocalsFrom(Context.of("first", "c"))) {
            assertThat(first.local.get()).isEqualTo("c");
        }
        assertThat(first.local.get()).isNull();
        assertThat(calls).containsExactly("first set b", "first restore a", "first set c", "first restore nothing");
    }

    @Test
    void aKeyTheContextLacksIsClearedOnlyWhenAsked() {
        registry.registerThreadLocalAccessor(first);
        first.local.set("a");

        try (ContextSnapshot.Scope scope = new ChangeOnlyContextSnapshotFactory(registry, false)
            .setThreadLocalsFrom(Context.empty())) {
            assertThat(first.local.get()).as("left as it is").isEqualTo("a");
        }
        try (ContextSnapshot.Scope scope = new ChangeOnlyContextSnapshotFactory(registry, true)
            .setThreadLocalsFrom(Context.empty())) {
            assertThat(first.local.get()).as("cleared").isNull();
        }
        assertThat(first.local.get()).isEqualTo("a");
        assertThat(calls).containsExactly("first clear", "first restore a");
    }

    @Test
    void onlyTheChangedAccessorsArePutBackInReverseOrder() {
        Recording third = new Recording("third");
        registry.registerThreadLocalAccessor(first);
        registry.registerThreadLocalAccessor(second);
        registry.registerThreadLocalAccessor(third);
        ChangeOnlyContextSnapshotFactory factory = new ChangeOnlyContextSnapshotFactory(registry, true);
        second.local.set("same");

        factory.setThreadLocalsFrom(Context.of("first", "1", "second", "same", "third", "3")).close();

        assertThat(calls).containsExactly("first set 1", "third set 3", "third restore nothing",
                "first restore nothing");
        assertThat(second.local.get()).isEqualTo("same");
        third.local.remove();
    }

    @Test
    void twoChangedAccessorsGetTheirPreviousValuesBackInReverseOrder() {
        registry.registerThreadLocalAccessor(first);
        registry.registerThreadLocalAccessor(second);
        ChangeOnlyContextSnapshotFactory factory = new ChangeOnlyContextSnapshotFactory(registry, true);
        first.local.set("a");
        second.local.set("b");

        try (ContextSnapshot.Scope scope = factory.setThreadLocalsFrom(Context.of("first", "1", "second", "2"))) {
            assertThat(List.of(first.local.get(), second.local.get())).containsExactly("1", "2");
        }

        assertThat(calls).containsExactly("first set 1", "second set 2", "second restore b", "first restore a");
        assertThat(List.of(first.local.get(), second.local.get())).containsExactly("a", "b");
    }

    @Test
    void twoAccessorsSetOnAThreadWithoutValuesShareOneScopeThatClearsBoth() {
        registry.registerThreadLocalAccessor(first);
        registry.registerThreadLocalAccessor(second);
        ChangeOnlyContextSnapshotFactory factory = new ChangeOnlyContextSnapshotFactory(registry, true);

        ContextSnapshot.Scope scope = factory.setThreadLocalsFrom(Context.of("first", "1", "second", "2"));
        assertThat(List.of(first.local.get(), second.local.get())).containsExactly("1", "2");
        scope.close();
        ContextSnapshot.Scope again = factory.setThreadLocalsFrom(Context.of("first", "3", "second", "4"));
        assertThat(List.of(first.local.get(), second.local.get())).containsExactly("3", "4");
        again.close();
        assertThat(again).isSameAs(scope);
        assertThat(first.local.get()).isNull();
        assertThat(second.local.get()).isNull();

        // a thread that had a value gets a scope of its own, which puts it back
        first.local.set("a");
        try (ContextSnapshot.Scope own = factory.setThreadLocalsFrom(Context.of("first", "5", "second", "6"))) {
            assertThat(own).isNotSameAs(scope);
        }
        assertThat(first.local.get()).isEqualTo("a");
        assertThat(second.local.get()).isNull();
        assertThat(calls).containsExactly("first set 1", "second set 2", "second restore nothing",
                "first restore nothing", "first set 3", "second set 4", "second restore nothing",
                "first restore nothing", "first set 5", "second set 6", "second restore nothing", "first restore a");
    }

    @Test
    void threeChangedAccessorsArePutBackInReverseOrderWithTheirPreviousValues() {
        Recording third = new Recording("third");
        Recording fourth = new Recording("fourth");
        registry.registerThreadLocalAccessor(first);
        registry.registerThreadLocalAccessor(second);
        registry.registerThreadLocalAccessor(third);
        registry.registerThreadLocalAccessor(fourth);
        ChangeOnlyContextSnapshotFactory factory = new ChangeOnlyContextSnapshotFactory(registry, true);
        first.local.set("a");
        third.local.set("same");

        try (ContextSnapshot.Scope scope = factory
            .setThreadLocalsFrom(Context.of("first", "1", "second", "2", "third", "same", "fourth", "4"))) {
            assertThat(List.of(first.local.get(), second.local.get(), fourth.local.get())).containsExactly("1", "2",
                    "4");
        }

        assertThat(calls).containsExactly("first set 1", "second set 2", "fourth set 4", "fourth restore nothing",
                "second restore nothing", "first restore a");
        assertThat(first.local.get()).isEqualTo("a");
        assertThat(second.local.get()).isNull();
        assertThat(third.local.get()).isEqualTo("same");
        third.local.remove();
    }

    @Test
    void aValueThatAlreadyMeansNothingIsNotClearedAgain() {
        registry.registerThreadLocalAccessor(new ChangeOnlyThreadLocalAccessor<>(first, "none"::equals));
        ChangeOnlyContextSnapshotFactory factory = new ChangeOnlyContextSnapshotFactory(registry, true);
        ContextSnapshot.Scope unchanged = factory.setThreadLocalsFrom(Context.empty());
        first.local.set("none");

        ContextSnapshot.Scope scope = factory.setThreadLocalsFrom(Context.empty());
        scope.close();

        assertThat(scope).isSameAs(unchanged);
        assertThat(calls).isEmpty();
        assertThat(first.local.get()).isEqualTo("none");
        first.local.set("a");
        factory.setThreadLocalsFrom(Context.empty()).close();
        assertThat(calls).containsExactly("first clear", "first restore a");
    }

    @Test
    void namedKeysAreRestoredAsTheDefaultFactoryDoes() {
        registry.registerThreadLocalAccessor(first);
        first.local.set("a");

        new ChangeOnlyContextSnapshotFactory(registry, true).setThreadLocalsFrom(Context.of("first", "a"), "first")
            .close();

        assertThat(calls).containsExactly("first set a", "first restore a");
    }

    @Test
    void anObservationLeftOutOnPurposeStaysOnTheThreadWhileTheTraceIsRestored() {
        Recording observation = new Recording(ObservationThreadLocalAccessor.KEY);
        Recording trace = new Recording(TraceContextThreadLocalAccessor.KEY);
        registry.registerThreadLocalAccessor(observation);
        registry.registerThreadLocalAccessor(trace);
        ChangeOnlyContextSnapshotFactory factory = new ChangeOnlyContextSnapshotFactory(registry, true);
        TraceContext request = TraceContext.NOOP;
        Context connect = ReactorTracing.leaveOutObservation(
                Context.of(ObservationThreadLocalAccessor.KEY, "client observation", TraceContextThreadLocalAccessor.KEY,
                        request));
        observation.local.set("client observation");
        try {
            try (ContextSnapshot.Scope scope = factory.setThreadLocalsFrom(connect)) {
                assertThat(observation.local.get()).isEqualTo("client observation");
                assertThat(trace.local.get()).as("the trace itself, not the entry").isSameAs(request);
            }
            assertThat(trace.local.get()).isNull();
            assertThat(calls).noneMatch(call -> call.startsWith(ObservationThreadLocalAccessor.KEY));

            // another Observation on the thread is cleared, as Reactor asks
            observation.local.set("another observation");
            try (ContextSnapshot.Scope scope = factory.setThreadLocalsFrom(connect)) {
                assertThat(observation.local.get()).isNull();
            }
            assertThat(observation.local.get()).isEqualTo("another observation");
            observation.local.set("client observation");

            // a Context that lacks the Observation for no such reason clears it, as Reactor asks
            try (ContextSnapshot.Scope scope = factory
                .setThreadLocalsFrom(Context.of(TraceContextThreadLocalAccessor.KEY, request))) {
                assertThat(observation.local.get()).isNull();
                assertThat(trace.local.get()).isSameAs(request);
            }
            assertThat(observation.local.get()).isEqualTo("client observation");
        }
        finally {
            observation.local.remove();
            trace.local.remove();
        }
    }

    @Test
    void theObservationOfTheSpanTheContextCarriesStaysOnTheThread() {
        Recording observation = new Recording(ObservationThreadLocalAccessor.KEY);
        Recording trace = new Recording(TraceContextThreadLocalAccessor.KEY);
        registry.registerThreadLocalAccessor(observation);
        registry.registerThreadLocalAccessor(trace);
        ChangeOnlyContextSnapshotFactory factory = new ChangeOnlyContextSnapshotFactory(registry, true);
        TraceTracer tracer = Tracing.newBuilder().build();
        Span request = tracer.nextSpan().name("request").start();
        Span other = tracer.nextSpan().name("other").start();
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(context -> true);
        // Spring's Observation of a request we trace: its tracing context holds the request's span
        Observation server = Observation.start("http.server.requests", observations);
        TracingObservationHandler.TracingContext tracing = new TracingObservationHandler.TracingContext();
        tracing.setSpan(request);
        server.getContext().put(TracingObservationHandler.TracingContext.class, tracing);
        Observation untraced = Observation.start("untraced", observations);
        try {
            observation.local.set(server);
            // what is outside Spring's contextWrite of the Observation: the request's span, no Observation
            try (ContextSnapshot.Scope scope = factory
                .setThreadLocalsFrom(Context.of(TraceContextThreadLocalAccessor.KEY, request.context()))) {
                assertThat(observation.local.get()).isSameAs(server);
                assertThat(trace.local.get()).isSameAs(request.context());
            }
            assertThat(calls).noneMatch(call -> call.startsWith(ObservationThreadLocalAccessor.KEY));

            // another span in the Context: the Observation is cleared, as Reactor asks
            try (ContextSnapshot.Scope scope = factory
                .setThreadLocalsFrom(Context.of(TraceContextThreadLocalAccessor.KEY, other.context()))) {
                assertThat(observation.local.get()).isNull();
            }
            assertThat(observation.local.get()).isSameAs(server);

            // an Observation without a span of its own is cleared, too
            observation.local.set(untraced);
            try (ContextSnapshot.Scope scope = factory
                .setThreadLocalsFrom(Context.of(TraceContextThreadLocalAccessor.KEY, request.context()))) {
                assertThat(observation.local.get()).isNull();
            }
            assertThat(observation.local.get()).isSameAs(untraced);
        }
        finally {
            observation.local.remove();
            trace.local.remove();
            server.stop();
            untraced.stop();
        }
    }

    @Test
    void aNoopObservationOverNoneIsNotSet() {
        Recording observation = new Recording(ObservationThreadLocalAccessor.KEY);
        @SuppressWarnings({ "unchecked", "rawtypes" })
        ThreadLocalAccessor<Observation> observations = (ThreadLocalAccessor) observation;
        registry.registerThreadLocalAccessor(ChangeOnlyThreadLocalAccessor.ofObservations(observations));
        ChangeOnlyContextSnapshotFactory factory = new ChangeOnlyContextSnapshotFactory(registry, true);
        // Spring's request Observation where it is left out: a no-op, written into the Reactor Context all the same
        try (ContextSnapshot.Scope scope = factory
            .setThreadLocalsFrom(Context.of(ObservationThreadLocalAccessor.KEY, Observation.NOOP))) {
            assertThat(observation.local.get()).isNull();
        }
        assertThat(calls).isEmpty();

        ObservationRegistry handled = ObservationRegistry.create();
        handled.observationConfig().observationHandler(context -> true);
        Observation real = Observation.start("real", handled);
        try (ContextSnapshot.Scope scope = factory
            .setThreadLocalsFrom(Context.of(ObservationThreadLocalAccessor.KEY, real))) {
            assertThat(observation.local.get()).isSameAs(real);
        }
        finally {
            real.stop();
        }
        assertThat(calls).containsExactly(ObservationThreadLocalAccessor.KEY + " set " + real,
                ObservationThreadLocalAccessor.KEY + " restore nothing");
    }

    @Test
    void theTraceContextOverAnotherSpanIsPutBackThroughOneSharedScope() {
        // its accessor puts back from its own stack whatever it replaced: no scope object per restore
        TraceTracer tracer = Tracing.newBuilder().build();
        registry.registerThreadLocalAccessor(new TraceContextThreadLocalAccessor(tracer.currentTraceContext()));
        ChangeOnlyContextSnapshotFactory factory = new ChangeOnlyContextSnapshotFactory(registry, true);
        Span outer = tracer.nextSpan().start();
        Span inner = tracer.nextSpan(outer).start();
        Span other = tracer.nextSpan().start();
        try (Tracer.SpanInScope ws = tracer.withSpan(outer)) {
            ContextSnapshot.Scope scope = factory.setThreadLocalsFrom(
                    Context.of(TraceContextThreadLocalAccessor.KEY, inner.context()));
            assertThat(tracer.currentTraceContext().context()).isSameAs(inner.context());
            ContextSnapshot.Scope nested = factory.setThreadLocalsFrom(
                    Context.of(TraceContextThreadLocalAccessor.KEY, other.context()));
            assertThat(tracer.currentTraceContext().context()).isSameAs(other.context());
            nested.close();
            assertThat(tracer.currentTraceContext().context()).isSameAs(inner.context());
            scope.close();

            assertThat(nested).isSameAs(scope);
            assertThat(tracer.currentTraceContext().context()).isSameAs(outer.context());
        }
        assertThat(tracer.currentTraceContext().context()).isNull();
    }

    @ParameterizedTest
    @ValueSource(ints = { 0, 1, 2 })
    void anAccessorThatFailsLeavesNothingTheRestoreSetOnTheThread(int setBeforeIt) {
        TraceTracer tracer = Tracing.newBuilder()
            .currentTraceContext(new ThreadLocalCurrentTraceContext(List.of(new MdcScopeDecorator(List.of()))))
            .build();
        registry.registerThreadLocalAccessor(new TraceContextThreadLocalAccessor(tracer.currentTraceContext()));
        List<Recording> others = List.of(first, second);
        for (int i = 0; i < setBeforeIt; i++) {
            registry.registerThreadLocalAccessor(others.get(i));
        }
        // an application's accessor whose store is not ready on this thread
        registry.registerThreadLocalAccessor(new Recording("failing") {
            @Override
            public Object getValue() {
                throw new IllegalStateException("no tenant here");
            }
        });
        ChangeOnlyContextSnapshotFactory factory = new ChangeOnlyContextSnapshotFactory(registry, true);
        Span span = tracer.nextSpan().start();

        assertThatThrownBy(() -> factory.setThreadLocalsFrom(Context.of(TraceContextThreadLocalAccessor.KEY,
                span.context(), "first", "a", "second", "b", "failing", "c")))
            .hasMessage("no tenant here");

        // the restore failed as a whole: the next request on this thread finds it clean
        assertThat(tracer.currentTraceContext().context()).isNull();
        assertThat(MDC.get(MdcScopeDecorator.TRACE_ID)).isNull();
        assertThat(first.local.get()).isNull();
        assertThat(second.local.get()).isNull();
    }

    /** A thread-local accessor that records what is done to it. */
    private class Recording implements ThreadLocalAccessor<Object> {

        final ThreadLocal<Object> local = new ThreadLocal<>();

        private final String key;

        Recording(String key) {
            this.key = key;
        }

        @Override
        public Object key() {
            return key;
        }

        @Override
        public Object getValue() {
            return local.get();
        }

        @Override
        public void setValue(Object value) {
            calls.add(key + " set " + value);
            local.set(value);
        }

        @Override
        public void setValue() {
            calls.add(key + " clear");
            local.remove();
        }

        @Override
        public void restore(Object previousValue) {
            calls.add(key + " restore " + previousValue);
            local.set(previousValue);
        }

        @Override
        public void restore() {
            calls.add(key + " restore nothing");
            local.remove();
        }

    }

}
