package dev.tracing.autoconfigure;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import dev.tracing.context.ChangeOnlyContextSnapshotFactory;
import dev.tracing.context.ChangeOnlyThreadLocalAccessor;
import dev.tracing.context.TraceContextThreadLocalAccessor;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.ReactorPropagationState;
import io.micrometer.context.ContextRegistry;
import io.micrometer.context.ContextSnapshotFactory;
import io.micrometer.context.ThreadLocalAccessor;
import io.micrometer.observation.NullObservation;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.MDC;
import reactor.core.observability.DefaultSignalListener;
import reactor.core.observability.micrometer.Micrometer;
import reactor.core.observability.SignalListener;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.reactor.autoconfigure.ReactorAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@code auto} propagation does to Micrometer's observation accessor (on a registry of its
 * own) and to Reactor's restores.
 */
@ExtendWith(ReactorPropagationState.RestoredAfterEach.class)
class TraceReactorAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class, TraceReactorAutoConfiguration.class));

    /**
     * With Boot's Observation module and our handlers, and Micrometer's accessor registered (by
     * the ServiceLoader in a new JVM) and not yet wrapped.
     */
    private ApplicationContextRunner observed() {
        ContextRegistry.getInstance().registerThreadLocalAccessor(new ObservationThreadLocalAccessor());
        return runner.withConfiguration(
                AutoConfigurations.of(ObservationAutoConfiguration.class, TraceObservationAutoConfiguration.class));
    }

    @Test
    void autoPropagationRestoresThroughTheChangeOnlyFactory() {
        ContextSnapshotFactory reactorsOwn = ContextSnapshotFactory.builder().clearMissing(true).build();
        ReactorPropagationState.factory(reactorsOwn);
        runner.run(context -> assertThat(ReactorPropagationState.factory()).as("auto, the default")
            .isInstanceOf(ChangeOnlyContextSnapshotFactory.class));
    }

    @Test
    void withLazyInitializationPropagationIsInstalledAllTheSame() {
        // spring.main.lazy-initialization=true: nothing asks for the accessor, whose creation installs propagation
        ContextSnapshotFactory reactorsOwn = ContextSnapshotFactory.builder().clearMissing(true).build();
        ReactorPropagationState.factory(reactorsOwn);
        runner.withInitializer(context -> context
            .addBeanFactoryPostProcessor(new org.springframework.boot.LazyInitializationBeanFactoryPostProcessor()))
            .run(context -> {
                assertThat(context.getBeanFactory().containsSingleton("traceContextThreadLocalAccessor")).isTrue();
                assertThat(ReactorPropagationState.factory()).isInstanceOf(ChangeOnlyContextSnapshotFactory.class);
            });
    }

    @Test
    void limitedPropagationRestoresThroughAChangeOnlyFactoryThatKeepsWhatTheContextLacks() throws Exception {
        Hooks.disableAutomaticContextPropagation();
        // what Reactor starts with when nothing enabled automatic propagation
        ReactorPropagationState.factory(ContextSnapshotFactory.builder().clearMissing(false).build());
        runner.withPropertyValues("trace.reactor.context-propagation=limited").run(context -> {
            assertThat(Hooks.isAutomaticContextPropagationEnabled()).isFalse();
            assertThat(ReactorPropagationState.factory()).isInstanceOf(ChangeOnlyContextSnapshotFactory.class);
            Tracer tracer = context.getBean(Tracer.class);
            Span onThread = tracer.nextSpan().name("on the thread").start();
            Span inContext = tracer.nextSpan().name("in the reactor context").start();
            List<String> seen = new ArrayList<>();
            try (Tracer.SpanInScope scope = tracer.withSpan(onThread)) {
                Supplier<SignalListener<Integer>> listener = () -> new DefaultSignalListener<>() {
                    @Override
                    public void doOnNext(Integer value) {
                        seen.add(tracer.currentSpan().context().spanId());
                    }
                };
                Mono.just(1).tap(listener::get).subscribe(new BaseSubscriber<>() {
                });
                Mono.just(2).tap(listener::get)
                    .contextWrite(Context.of(TraceContextThreadLocalAccessor.KEY, inContext.context()))
                    .subscribe(new BaseSubscriber<>() {
                    });
                assertThat(tracer.currentSpan()).isEqualTo(onThread);
            }
            onThread.end();
            inContext.end();
            // as Reactor's own factory in limited mode: a context without a span leaves the thread's
            assertThat(seen).containsExactly(onThread.context().spanId(), inContext.context().spanId());
        });
        ReactorPropagationState.automaticFlag(true);
        ContextSnapshotFactory reactorsOwn = ContextSnapshotFactory.builder().clearMissing(true).build();
        ReactorPropagationState.factory(reactorsOwn);
        runner.withPropertyValues("trace.reactor.context-propagation=limited")
            .run(context -> assertThat(ReactorPropagationState.factory())
                .as("someone else turned automatic propagation on: left as it is")
                .isSameAs(reactorsOwn));
    }

    @Test
    void bootsOwnAutoPropagationDoesNotReplaceTheChangeOnlyFactory() {
        ReactorPropagationState.factory(ContextSnapshotFactory.builder().clearMissing(true).build());
        runner.withConfiguration(AutoConfigurations.of(ReactorAutoConfiguration.class))
            .withPropertyValues("spring.reactor.context-propagation=auto")
            .run(context -> assertThat(ReactorPropagationState.factory())
                .isInstanceOf(ChangeOnlyContextSnapshotFactory.class));
    }

    @Test
    void theReactorContextsSpanIsCurrentWhereTheThreadHasAnObservationTheContextLacks() {
        // Micrometer clears the thread's observation with a NullObservation scope, whose tracing handler clears
        // the current span: our accessor must restore after it, or the Reactor Context's span would be lost.
        observed().run(context -> {
            Tracer tracer = context.getBean(Tracer.class);
            ObservationRegistry observations = context.getBean(ObservationRegistry.class);
            Span inContext = tracer.nextSpan().name("in the reactor context").start();
            Observation outer = Observation.start("outer", observations);
            List<String> seen = new ArrayList<>();
            try (Observation.Scope scope = outer.openScope()) {
                String outerSpanId = tracer.currentSpan().context().spanId();
                Mono.just(1)
                    .doOnNext(one -> seen.add(tracer.currentSpan() == null ? "none"
                            : tracer.currentSpan().context().spanId()))
                    .contextWrite(Context.of(TraceContextThreadLocalAccessor.KEY, inContext.context()))
                    // not block(), which would capture the thread's observation into the Reactor Context
                    .subscribe(new BaseSubscriber<>() {
                    });
                assertThat(seen).containsExactly(inContext.context().spanId());
                assertThat(tracer.currentSpan().context().spanId()).as("after the chain").isEqualTo(outerSpanId);
            }
            outer.stop();
            inContext.end();
            assertThat(tracer.currentSpan()).isNull();
        });
    }

    @Test
    void theObservationsSpanIsCurrentWhereTheReactorContextHasAnObservationAndNoSpan() {
        // a chain outside any request, a section observed with tap(Micrometer.observation(..)): its log lines
        // carry the Observation's span, as under Spring Boot's own tracing
        observed().run(context -> {
            Tracer tracer = context.getBean(Tracer.class);
            ObservationRegistry observations = context.getBean(ObservationRegistry.class);
            List<String> seen = new ArrayList<>();
            Mono.just(1)
                .doOnNext(one -> {
                    seen.add(tracer.currentSpan() == null ? "no span" : tracer.currentSpan().context().spanId());
                    seen.add(String.valueOf(MDC.get("spanId")));
                })
                .name("observed.section")
                .tap(Micrometer.observation(observations))
                .subscribe(new BaseSubscriber<>() {
                });
            List<FinishedSpan> section = context.getBean(InMemorySpanStore.class)
                .recentTraces(1)
                .get(0);
            assertThat(section).singleElement()
                .satisfies(span -> assertThat(seen).containsExactly(span.getSpanId(), span.getSpanId()));
            assertThat(tracer.currentSpan()).as("after the chain").isNull();
            assertThat(MDC.get("spanId")).isNull();
        });
    }

    @Test
    void noSpanAndNoMdcWhereTheReactorContextHasNeitherSpanNorObservation() {
        // the thread's Observation is cleared with a NullObservation, which our handlers leave alone: the span
        // goes because the trace context's accessor clears it, and comes back with it
        observed().run(context -> {
            Tracer tracer = context.getBean(Tracer.class);
            ObservationRegistry observations = context.getBean(ObservationRegistry.class);
            Observation outer = Observation.start("outer", observations);
            List<String> seen = new ArrayList<>();
            try (Observation.Scope scope = outer.openScope()) {
                String outerTraceId = tracer.currentSpan().context().traceId();
                assertThat(MDC.get("traceId")).isEqualTo(outerTraceId);
                Mono.just(1)
                    .doOnNext(one -> {
                        seen.add(tracer.currentSpan() == null ? "no span" : "a span");
                        seen.add(MDC.get("traceId") == null ? "no trace id" : "a trace id");
                        seen.add(observations.getCurrentObservation() == null
                                || observations.getCurrentObservation() instanceof NullObservation
                                        ? "no observation" : "an observation");
                    })
                    .contextWrite(Context.of("unrelated", "entry"))
                    .subscribe(new BaseSubscriber<>() {
                    });
                assertThat(seen).containsExactly("no span", "no trace id", "no observation");
                assertThat(tracer.currentSpan().context().traceId()).as("after the chain").isEqualTo(outerTraceId);
                assertThat(MDC.get("traceId")).isEqualTo(outerTraceId);
                assertThat(observations.getCurrentObservation()).isSameAs(outer);
            }
            outer.stop();
            assertThat(tracer.currentSpan()).isNull();
            assertThat(MDC.get("traceId")).isNull();
        });
    }

}
