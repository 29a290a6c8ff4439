package dev.tracing.autoconfigure;

import java.util.List;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.instrument.metrics.PrometheusExemplarSpanContext;
import dev.tracing.instrument.observation.InstrumentedExchangeObservationHandler;
import dev.tracing.instrument.observation.InstrumentedExchanges;
import dev.tracing.instrument.observation.ObservationSpanHandler;
import dev.tracing.instrument.observation.ReceiverObservationSpanHandler;
import dev.tracing.instrument.observation.SenderObservationSpanHandler;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.annotation.NewSpan;
import io.micrometer.tracing.annotation.SpanAspect;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.prometheus.metrics.tracer.common.SpanContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.http.server.observation.ServerRequestObservationContext;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import static org.assertj.core.api.Assertions.assertThat;

class TraceObservationAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(
            AutoConfigurations.of(TraceAutoConfiguration.class, TraceObservationAutoConfiguration.class,
                    ObservationAutoConfiguration.class, MicrometerTracingAutoConfiguration.class));

    @Test
    void oursReplaceSpringBootsTracingHandlers() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(InstrumentedExchangeObservationHandler.class);
            assertThat(context.getBean(DefaultTracingObservationHandler.class)).isInstanceOf(ObservationSpanHandler.class);
            assertThat(context.getBean(PropagatingSenderTracingObservationHandler.class))
                .isInstanceOf(SenderObservationSpanHandler.class);
            assertThat(context.getBean(PropagatingReceiverTracingObservationHandler.class))
                .isInstanceOf(ReceiverObservationSpanHandler.class);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = { "auto", "observe" })
    void anObservationInsideAServerRequestIsAChildOfOurSpanAndTheRequestGetsNoSecondSpan(String mode) {
        runner.withPropertyValues("trace.observation.instrumented-exchanges=" + mode).run(context -> {
            Tracer tracer = context.getBean(Tracer.class);
            ObservationRegistry registry = context.getBean(ObservationRegistry.class);
            Span server = tracer.nextSpan().name("our server span").start();
            try (Tracer.SpanInScope ws = tracer.withSpan(server)) {
                ServerRequestObservationContext request = new ServerRequestObservationContext(
                        new MockHttpServletRequest("GET", "/x"), new MockHttpServletResponse());
                Observation http = Observation.createNotStarted("http.server.requests", () -> request, registry).start();
                try (Observation.Scope scope = http.openScope()) {
                    assertThat(tracer.currentSpan()).as("the observation's scope keeps our span").isEqualTo(server);
                    Observation.createNotStarted("inner", registry).observe(() -> {
                        assertThat(tracer.currentSpan().context().parentId()).isEqualTo(server.context().spanId());
                    });
                }
                http.stop();
            }
            server.end();
            InMemorySpanStore store = context.getBean(InMemorySpanStore.class);
            assertThat(store.trace(server.context().traceId())).extracting(FinishedSpan::getName)
                .containsExactlyInAnyOrder("inner", "our server span");
        });
    }

    @Test
    void springsObservationOfAnExchangeWeTraceIsLeftOutWhenOnlyOurHandlersWouldTakeIt() {
        runner.run(context -> {
            ObservationRegistry registry = context.getBean(ObservationRegistry.class);
            assertThat(serverRequest(registry).isNoop()).isTrue();
            assertThat(Observation.createNotStarted("inner", registry).isNoop())
                .as("an Observation of no exchange we trace still runs")
                .isFalse();
        });
        runner.withPropertyValues("trace.observation.instrumented-exchanges=observe")
            .run(context -> assertThat(serverRequest(context.getBean(ObservationRegistry.class)).isNoop()).isFalse());
        runner.withPropertyValues("trace.web.server.enabled=false")
            .run(context -> assertThat(serverRequest(context.getBean(ObservationRegistry.class)).isNoop())
                .as("with our server instrumentation off, Spring's Observation makes the span")
                .isFalse());
    }

    @Test
    void withAMetricsHandlerSpringsObservationRunsAndRecordsItsTimerUnlessSkipped() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ApplicationContextRunner withMetrics = runner.withBean(DefaultMeterObservationHandler.class,
                () -> new DefaultMeterObservationHandler(meters));
        withMetrics.run(context -> {
            Observation http = serverRequest(context.getBean(ObservationRegistry.class));
            assertThat(http.isNoop()).isFalse();
            http.start().stop();
            assertThat(meters.get("http.server.requests").timer().count()).isEqualTo(1);
        });
        withMetrics.withPropertyValues("trace.observation.instrumented-exchanges=skip")
            .run(context -> assertThat(serverRequest(context.getBean(ObservationRegistry.class)).isNoop()).isTrue());
    }

    @Test
    void aHandlerOfTheApplicationThatTakesTheExchangeKeepsSpringsObservation() {
        // asked before the Observation has its name, as Micrometer asks for a convention's Observation: it fails
        ObservationHandler<Observation.Context> failsToAnswer = new ObservationHandler<>() {
            @Override
            public boolean supportsContext(Observation.Context context) {
                return context.getName().startsWith("http.");
            }
        };
        ObservationHandler<Observation.Context> byType = new ObservationHandler<>() {
            @Override
            public boolean supportsContext(Observation.Context context) {
                return context instanceof ServerRequestObservationContext;
            }
        };
        ObservationHandler<Observation.Context> other = new ObservationHandler<>() {
            @Override
            public boolean supportsContext(Observation.Context context) {
                return "inner".equals(context.getName());
            }
        };
        runner.withBean("failsToAnswer", ObservationHandler.class, () -> failsToAnswer)
            .run(context -> assertThat(serverRequest(context.getBean(ObservationRegistry.class)).isNoop()).isFalse());
        runner.withBean("byType", ObservationHandler.class, () -> byType)
            .run(context -> assertThat(serverRequest(context.getBean(ObservationRegistry.class)).isNoop()).isFalse());
        runner.withBean("other", ObservationHandler.class, () -> other)
            .run(context -> assertThat(serverRequest(context.getBean(ObservationRegistry.class)).isNoop()).isTrue());
    }

    @Test
    void aTestObservationRegistryOfTheApplicationSeesSpringsObservations() {
        runner.withBean(ObservationRegistry.class, TestObservationRegistry::create).run(context -> {
            TestObservationRegistry registry = context.getBean(TestObservationRegistry.class);
            serverRequest(registry).start().stop();
            TestObservationRegistryAssert.assertThat(registry).hasObservationWithNameEqualTo("http.server.requests");
        });
    }

    private static Observation serverRequest(ObservationRegistry registry) {
        ServerRequestObservationContext request = new ServerRequestObservationContext(
                new MockHttpServletRequest("GET", "/x"), new MockHttpServletResponse());
        return Observation.createNotStarted("http.server.requests", () -> request, registry);
    }

    @Test
    void exchangesFollowTheInstrumentationSwitches() {
        ServerRequestObservationContext request = new ServerRequestObservationContext(new MockHttpServletRequest(),
                new MockHttpServletResponse());
        runner.run(context -> assertThat(context.getBean(InstrumentedExchanges.class).covers(request)).isTrue());
        runner.withPropertyValues("trace.web.server.enabled=false")
            .run(context -> assertThat(context.getBean(InstrumentedExchanges.class).covers(request))
                .as("with our server instrumentation off, Spring's observation makes the span")
                .isFalse());
    }

    @Test
    void withoutBootsObservationModuleOnlyTheApplicationsOwnRegistryGetsHandlers() {
        // nothing collects the handlers then: Spring's instrumentation observes nothing
        ApplicationContextRunner withoutModule = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class,
                    TraceObservationAutoConfiguration.class))
            .withClassLoader(new FilteredClassLoader("org.springframework.boot.micrometer.observation"));
        withoutModule.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(ObservationHandler.class);
            assertThat(context).doesNotHaveBean(InstrumentedExchanges.class);
        });
        withoutModule.withBean(ObservationRegistry.class, ObservationRegistry::create).run(context -> {
            assertThat(context).hasSingleBean(InstrumentedExchangeObservationHandler.class);
            assertThat(context.getBean(DefaultTracingObservationHandler.class)).isInstanceOf(ObservationSpanHandler.class);
        });
    }

    @Test
    void backsOffForTheApplicationsOwnHandler() {
        runner.withBean(DefaultTracingObservationHandler.class, () -> new DefaultTracingObservationHandler(Tracer.NOOP))
            .run(context -> {
                assertThat(context).doesNotHaveBean(ObservationSpanHandler.class);
                assertThat(context).hasSingleBean(DefaultTracingObservationHandler.class);
            });
    }

    @Test
    void prometheusExemplarsReadOurCurrentSpan() {
        runner.run(context -> {
            SpanContext exemplars = context.getBean(SpanContext.class);
            assertThat(exemplars).isInstanceOf(PrometheusExemplarSpanContext.class);
            assertThat(exemplars.getCurrentTraceId()).isNull();
            Tracer tracer = context.getBean(Tracer.class);
            Span span = tracer.nextSpan().start();
            try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
                assertThat(exemplars.getCurrentTraceId()).isEqualTo(span.context().traceId());
                assertThat(exemplars.getCurrentSpanId()).isEqualTo(span.context().spanId());
                assertThat(exemplars.isCurrentSpanSampled()).isTrue();
            }
            span.end();
        });
        runner.withClassLoader(new FilteredClassLoader(SpanContext.class))
            .run(context -> assertThat(context).doesNotHaveBean(PrometheusExemplarSpanContext.class));
    }

    @Test
    void turnedOffTheAnnotationsMakeNoSpanThroughBootsAspectEither() {
        // Boot's tracing module registers Micrometer's aspect itself when its annotation switch is on
        ApplicationContextRunner withBootsAspect = runner
            .withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class))
            .withUserConfiguration(AnnotatedWork.class)
            .withPropertyValues("management.observations.annotations.enabled=true");
        withBootsAspect.withPropertyValues("trace.annotations.enabled=false")
            .run(context -> assertThat(spansOfAnnotatedWork(context)).containsExactly("parent"));
        withBootsAspect.run(context -> assertThat(spansOfAnnotatedWork(context))
            .containsExactlyInAnyOrder("annotated work", "parent"));
    }

    /** The names of the spans of a trace that calls a {@code @NewSpan} method. */
    private static List<String> spansOfAnnotatedWork(ApplicationContext context) {
        Tracer tracer = context.getBean(Tracer.class);
        Span parent = tracer.nextSpan().name("parent").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(parent)) {
            context.getBean(AnnotatedWork.class).work();
        }
        finally {
            parent.end();
        }
        return context.getBean(InMemorySpanStore.class).trace(parent.context().traceId()).stream()
            .map(FinishedSpan::getName)
            .toList();
    }

    static class AnnotatedWork {

        @NewSpan("annotated work")
        public void work() {
        }

    }

    @Test
    void spanAnnotationsNeedAspectJAndCanBeTurnedOff() {
        runner.run(context -> assertThat(context).hasSingleBean(SpanAspect.class));
        runner.withPropertyValues("trace.annotations.enabled=false")
            .run(context -> assertThat(context).doesNotHaveBean(SpanAspect.class));
        runner.withClassLoader(new FilteredClassLoader("org.aspectj"))
            .run(context -> assertThat(context).doesNotHaveBean(SpanAspect.class));
    }

}
