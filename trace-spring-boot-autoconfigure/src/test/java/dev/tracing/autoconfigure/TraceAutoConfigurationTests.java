package dev.tracing.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.tracing.actuate.TracerMetrics;
import dev.tracing.core.Sampler;
import dev.tracing.core.TraceTracer;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.export.SpanPipeline;
import dev.tracing.instrument.sampling.SamplingRules;
import dev.tracing.propagation.CompositePropagator;
import dev.tracing.testing.LogLines;
import dev.tracing.testing.Waits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.exporter.SpanExportingPredicate;
import io.micrometer.tracing.exporter.SpanFilter;
import io.micrometer.tracing.exporter.SpanReporter;
import io.micrometer.tracing.propagation.Propagator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration;
import org.springframework.boot.micrometer.tracing.autoconfigure.NoopTracerAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

class TraceAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class));

    @Test
    void registersTheTracerAndItsParts() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(Tracer.class);
            assertThat(context.getBean(Tracer.class)).isInstanceOf(TraceTracer.class);
            assertThat(context).hasSingleBean(Propagator.class);
            assertThat(context.getBean(Propagator.class)).isInstanceOf(CompositePropagator.class);
            assertThat(context).hasSingleBean(CurrentTraceContext.class);
            assertThat(context).hasSingleBean(Sampler.class);
            assertThat(context).hasSingleBean(SpanPipeline.class);
            assertThat(context).hasSingleBean(InMemorySpanStore.class);
            // the tracer is the baggage manager: one bean answers both types
            assertThat(context.getBeansOfType(io.micrometer.tracing.BaggageManager.class)).hasSize(1);
        });
    }

    @Test
    void disabledRegistersNothingOfOurs() {
        runner.withPropertyValues("trace.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(Tracer.class);
            assertThat(context).doesNotHaveBean(Propagator.class);
            assertThat(context).doesNotHaveBean(CurrentTraceContext.class);
            assertThat(context).doesNotHaveBean(SpanPipeline.class);
            assertThat(context).doesNotHaveBean(InMemorySpanStore.class);
        });
    }

    @Test
    void memoryStoreCanBeTurnedOff() {
        runner.withPropertyValues("trace.export.memory.enabled=false").run(context -> {
            assertThat(context).hasSingleBean(Tracer.class);
            assertThat(context).doesNotHaveBean(InMemorySpanStore.class);
        });
    }

    @Test
    void finishedSpansReachTheStoreWithTheServiceName() {
        runner.withPropertyValues("spring.application.name=orders", "trace.export.memory.max-spans=5")
            .run(context -> {
                Tracer tracer = context.getBean(Tracer.class);
                Span span = tracer.nextSpan().name("work").start();
                span.end();
                InMemorySpanStore store = context.getBean(InMemorySpanStore.class);
                List<FinishedSpan> trace = store.trace(span.context().traceId());
                assertThat(trace).singleElement().satisfies(finished -> {
                    assertThat(finished.getName()).isEqualTo("work");
                    assertThat(finished.getLocalServiceName()).isEqualTo("orders");
                });
                assertThat(store.maxSpans()).isEqualTo(5);
                assertThat(store.maxTracesPerSecond()).isEqualTo(100);
            });
    }

    @Test
    void baggageOfATagFieldIsRecordedAsATagAndABlankNameFailsStartupNamingTheProperty() {
        runner.withPropertyValues("trace.baggage.remote-fields=tenant", "trace.baggage.tag-fields=tenant")
            .run(context -> {
                Tracer tracer = context.getBean(Tracer.class);
                Span span = tracer.nextSpan().name("tagged by baggage").start();
                try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
                    tracer.getBaggage("tenant").set("acme");
                }
                span.end();
                assertThat(context.getBean(InMemorySpanStore.class).trace(span.context().traceId())).singleElement()
                    .satisfies(finished -> assertThat(finished.getTags()).containsEntry("tenant", "acme"));
            });
        runner.withPropertyValues("trace.baggage.tag-fields=tenant, ").run(context -> {
            assertThat(context).hasFailed();
            assertThat(StartupFailures.text(context.getStartupFailure())).contains("trace.baggage.tag-fields");
        });
    }

    @Test
    void theStoresLimitOfNewTracesPerSecondIsBoundAndNegativeFailsStartupNamingIt() {
        runner.withPropertyValues("trace.export.memory.max-traces-per-second=0")
            .run(context -> assertThat(context.getBean(InMemorySpanStore.class).maxTracesPerSecond()).isZero());
        runner.withPropertyValues("trace.export.memory.max-traces-per-second=-1").run(context -> {
            assertThat(context).hasFailed();
            assertThat(StartupFailures.text(context.getStartupFailure()))
                .contains("trace.export.memory.max-traces-per-second");
        });
    }

    @Test
    void explicitServiceNameWinsOverApplicationName() {
        runner.withPropertyValues("spring.application.name=orders", "trace.service-name=billing").run(context -> {
            assertThat(((TraceTracer) context.getBean(Tracer.class)).serviceName()).isEqualTo("billing");
        });
    }

    @Test
    void serviceNameDefaultsToApplication() {
        runner.run(context -> assertThat(((TraceTracer) context.getBean(Tracer.class)).serviceName())
            .isEqualTo("application"));
    }

    @Test
    void userFiltersPredicatesAndReportersJoinThePipeline() {
        runner.withUserConfiguration(PipelineConfiguration.class).run(context -> {
            Tracer tracer = context.getBean(Tracer.class);
            tracer.nextSpan().name("kept").start().end();
            tracer.nextSpan().name("dropped").start().end();
            // the in-memory store is one of the reporters, behind the same predicate, on the calling thread
            assertThat(context.getBean(InMemorySpanStore.class).spanCount()).isEqualTo(1);
            // the application's reporter runs on a thread of its own, so it sees the span shortly after
            PipelineConfiguration pipeline = context.getBean(PipelineConfiguration.class);
            Waits.await()
                .atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(pipeline.reported).extracting(FinishedSpan::getName)
                    .containsExactly("kept"));
            assertThat(pipeline.reported.get(0).getTags()).containsEntry("env", "test");
            assertThat(pipeline.reportingThreads).containsExactly("trace-span-reporter-collecting");
        });
    }

    @Test
    void userBeansReplaceOurs() {
        runner.withUserConfiguration(UserBeansConfiguration.class).run(context -> {
            assertThat(context.getBean(Tracer.class)).isSameAs(Tracer.NOOP);
            assertThat(context.getBean(Propagator.class)).isSameAs(Propagator.NOOP);
            assertThat(context.getBean(Sampler.class)).isSameAs(Sampler.NEVER_SAMPLE);
        });
    }

    @Test
    void aUserTracerTurnsOffEveryBeanThatOnlyWorksWithOurs() {
        runner.withBean(Tracer.class, () -> Tracer.NOOP).run(context -> {
            assertThat(context).hasSingleBean(Tracer.class);
            assertThat(context).doesNotHaveBean(Propagator.class);
            assertThat(context).doesNotHaveBean(CurrentTraceContext.class);
            assertThat(context).doesNotHaveBean(SpanPipeline.class);
            assertThat(context).doesNotHaveBean(InMemorySpanStore.class);
        });
    }

    @Test
    void metricsShowStartedAndOpenSpansThreadsWithAContextAndTheStoredSpans() {
        runner.run(context -> {
            io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
            context.getBean(dev.tracing.actuate.TracerMetrics.class).bindTo(registry);
            Tracer tracer = context.getBean(Tracer.class);
            Span ended = tracer.nextSpan().name("ended").start();
            Span open = tracer.nextSpan().name("open").start();
            ended.end();
            assertThat(registry.get("trace.spans.started").functionCounter().count()).isEqualTo(2);
            assertThat(registry.get("trace.spans.open").gauge().value()).isEqualTo(1);
            assertThat(registry.get("trace.memory.spans").gauge().value()).isEqualTo(1);
            assertThat(registry.get("trace.memory.spans.evicted").functionCounter().count()).isZero();
            double before = registry.get("trace.context.threads").gauge().value();
            try (Tracer.SpanInScope scope = tracer.withSpan(open)) {
                assertThat(registry.get("trace.context.threads").gauge().value()).isEqualTo(before + 1);
            }
            assertThat(registry.get("trace.context.threads").gauge().value()).isEqualTo(before);
            open.end();
            assertThat(registry.get("trace.spans.open").gauge().value()).isZero();
        });
    }

    @Test
    void keepMetricsCountKeptLimitedPendingAndDroppedFromTheProperties() {
        runner
            .withPropertyValues("trace.sampling.probability=0.0", "trace.sampling.keep.errors=true",
                    "trace.sampling.keep.rate-limit=1", "trace.sampling.keep.max-spans-per-trace=1")
            .run(context -> {
                SimpleMeterRegistry registry = new SimpleMeterRegistry();
                context.getBean(TracerMetrics.class).bindTo(registry);
                Tracer tracer = context.getBean(Tracer.class);
                Span waiting = tracer.nextSpan().name("waiting").start();
                tracer.nextSpan(waiting).name("child").start().end();
                tracer.nextSpan(waiting).name("over the per-trace bound").start().end();
                assertThat(registry.get("trace.sampling.keep.spans.pending").gauge().value()).isEqualTo(1);
                assertThat(registry.get("trace.sampling.keep.spans.dropped").functionCounter().count()).isEqualTo(1);
                // at 1 a second, of two failed traces decided at once one is kept
                for (int i = 0; i < 2; i++) {
                    tracer.nextSpan().name("failed").start().error(new IllegalStateException("boom")).end();
                }
                assertThat(registry.get("trace.sampling.kept").functionCounter().count()).isEqualTo(1);
                assertThat(registry.get("trace.sampling.keep.traces.limited").functionCounter().count()).isEqualTo(1);
                waiting.end();
                assertThat(registry.get("trace.sampling.keep.spans.pending").gauge().value()).isZero();
            });
    }

    @Test
    void userReportersAreClosedOnceAtShutdown() {
        java.util.concurrent.atomic.AtomicInteger closed = new java.util.concurrent.atomic.AtomicInteger();
        runner.withBean("countingReporter", SpanReporter.class, () -> new SpanReporter() {
            @Override
            public void report(FinishedSpan span) {
            }

            @Override
            public void close() {
                closed.incrementAndGet();
            }
        }).run(context -> assertThat(context).hasSingleBean(SpanPipeline.class));
        assertThat(closed).hasValue(1);
    }

    @Test
    void baggageWithoutTraceHeadersStartsTheNewTrace() {
        runner.withPropertyValues("trace.baggage.remote-fields=tenant").run(context -> {
            Propagator propagator = context.getBean(Propagator.class);
            Tracer tracer = context.getBean(Tracer.class);
            Span span = propagator.extract(Map.of("baggage", "tenant=acme,other=x"), Map::get).start();
            assertThat(span.context().parentId()).isNull();
            assertThat(span.context().sampled()).isTrue();
            assertThat(tracer.getAllBaggage(span.context())).containsExactly(Map.entry("tenant", "acme"));
        });
    }

    @Test
    void correlationFieldsMustNotShadowTheTraceIds() {
        runner.withPropertyValues("trace.baggage.correlation-fields=traceId").run(context -> {
            assertThat(context).hasFailed();
            assertThat(StartupFailures.text(context.getStartupFailure())).contains("trace.baggage.correlation-fields");
        });
    }

    @Test
    void userSamplerIsUsedByOurTracer() {
        runner.withBean(Sampler.class, () -> Sampler.NEVER_SAMPLE).run(context -> {
            Span span = context.getBean(Tracer.class).nextSpan().start();
            assertThat(span.context().sampled()).isFalse();
            assertThat(span.isNoop()).isTrue();
        });
    }

    @Test
    void probabilityZeroRecordsNothing() {
        runner.withPropertyValues("trace.sampling.probability=0").run(context -> {
            Span span = context.getBean(Tracer.class).nextSpan().start();
            span.end();
            assertThat(span.context().sampled()).isFalse();
            assertThat(context.getBean(InMemorySpanStore.class).spanCount()).isZero();
        });
    }

    @Test
    void ourTracerWinsOverBootsNoopFallback() {
        runner
            .withConfiguration(AutoConfigurations.of(MicrometerTracingAutoConfiguration.class,
                    NoopTracerAutoConfiguration.class))
            .run(context -> {
                assertThat(context).hasSingleBean(Tracer.class);
                assertThat(context.getBean(Tracer.class)).isInstanceOf(TraceTracer.class);
                assertThat(context).hasSingleBean(Propagator.class);
            });
    }

    @Test
    void produceFormatsAreConfigurable() {
        runner.withPropertyValues("trace.propagation.produce=b3,b3-multi").run(context -> {
            Tracer tracer = context.getBean(Tracer.class);
            Propagator propagator = context.getBean(Propagator.class);
            Span span = tracer.nextSpan().start();
            Map<String, String> headers = new HashMap<>();
            propagator.inject(span.context(), headers, Map::put);
            assertThat(headers).containsEntry("b3", span.context().traceId() + "-" + span.context().spanId() + "-1")
                .containsEntry("x-b3-traceid", span.context().traceId())
                .doesNotContainKey("traceparent");
        });
    }

    @Test
    void consumeFormatsAreConfigurable() {
        String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        runner.withPropertyValues("trace.propagation.consume=b3").run(context -> {
            Propagator propagator = context.getBean(Propagator.class);
            Span span = propagator.extract(Map.of("traceparent", traceparent), Map::get).start();
            // w3c is not consumed: a fresh trace
            assertThat(span.context().traceId()).isNotEqualTo("0af7651916cd43dd8448eb211c80319c");
            assertThat(span.context().parentId()).isNull();
        });
        runner.run(context -> {
            Propagator propagator = context.getBean(Propagator.class);
            Span span = propagator.extract(Map.of("traceparent", traceparent), Map::get).start();
            assertThat(span.context().traceId()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
            assertThat(span.context().parentId()).isEqualTo("b7ad6b7169203331");
        });
    }

    @Test
    void onlyRemoteFieldsCrossTheBoundary() {
        runner.withPropertyValues("trace.baggage.remote-fields=tenant").run(context -> {
            Tracer tracer = context.getBean(Tracer.class);
            Propagator propagator = context.getBean(Propagator.class);
            Span span = tracer.nextSpan().start();
            Map<String, String> headers = new HashMap<>();
            try (Tracer.SpanInScope ws = tracer.withSpan(span);
                    var tenant = tracer.createBaggageInScope("tenant", "acme");
                    var secret = tracer.createBaggageInScope("secret", "s3cr3t")) {
                propagator.inject(tracer.currentTraceContext().context(), headers, Map::put);
            }
            assertThat(headers.get("baggage")).isEqualTo("tenant=acme");
        });
    }

    @Test
    void unsampledTracesStillPropagateTheirDecision() {
        runner.withPropertyValues("trace.sampling.probability=0", "trace.propagation.produce=w3c,b3").run(context -> {
            Tracer tracer = context.getBean(Tracer.class);
            Propagator propagator = context.getBean(Propagator.class);
            Span span = tracer.nextSpan().start();
            Map<String, String> headers = new HashMap<>();
            propagator.inject(span.context(), headers, Map::put);
            assertThat(headers.get("traceparent")).endsWith("-00");
            assertThat(headers.get("b3")).endsWith("-0");
        });
    }

    @Test
    void incomingDecisionWinsOverTheLocalSampler() {
        runner.withPropertyValues("trace.sampling.probability=1.0").run(context -> {
            Propagator propagator = context.getBean(Propagator.class);
            Span span = propagator
                .extract(Map.of("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"), Map::get)
                .start();
            span.end();
            assertThat(span.context().sampled()).isFalse();
            assertThat(context.getBean(InMemorySpanStore.class).spanCount()).isZero();
        });
        runner.withPropertyValues("trace.sampling.probability=0").run(context -> {
            Propagator propagator = context.getBean(Propagator.class);
            Span span = propagator.extract(Map.of("b3", "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-d"), Map::get)
                .start();
            span.end();
            assertThat(span.context().sampled()).isTrue();
            assertThat(context.getBean(InMemorySpanStore.class).trace("0af7651916cd43dd8448eb211c80319c")).hasSize(1);
            Map<String, String> headers = new HashMap<>();
            propagator.inject(span.context(), headers, Map::put);
            assertThat(headers.get("traceparent")).endsWith("-01");
        });
    }

    @Test
    void malformedHeadersStartAFreshTrace() {
        runner.run(context -> {
            Propagator propagator = context.getBean(Propagator.class);
            Span span = propagator
                .extract(Map.of("traceparent", "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", "b3", "garbage"),
                        Map::get)
                .start();
            assertThat(span.context().parentId()).isNull();
            assertThat(span.context().traceId()).matches("[0-9a-f]{32}").isNotEqualTo("0af7651916cd43dd8448eb211c80319c");
        });
    }

    @Test
    void invalidProbabilityFailsStartupNamingTheProperty() {
        runner.withPropertyValues("trace.sampling.probability=1.5").run(context -> {
            assertThat(context).hasFailed();
            assertThat(StartupFailures.text(context.getStartupFailure())).contains("trace.sampling.probability")
                .contains("must be between 0.0 and 1.0");
        });
    }

    @Test
    void unknownPropagationFormatFailsStartupNamingTheProperty() {
        runner.withPropertyValues("trace.propagation.produce=w3c,xray").run(context -> {
            assertThat(context).hasFailed();
            assertThat(StartupFailures.text(context.getStartupFailure())).contains("trace.propagation.produce");
        });
    }

    @Test
    void jaegerIsProducedAndConsumedWithTheRemoteBaggageFields() {
        runner
            .withPropertyValues("trace.propagation.produce=w3c,jaeger", "trace.propagation.consume=jaeger",
                    "trace.baggage.remote-fields=tenant")
            .run(context -> {
                assertThat(context).hasNotFailed();
                Propagator propagator = context.getBean(Propagator.class);
                Span span = propagator
                    .extract(Map.of("uber-trace-id", "80f198ee56343ba864fe8b2a57d3eff7:e457b5a2e4d86bd1:0:1",
                            "uberctx-tenant", "acme", "uberctx-secret", "x"), Map::get)
                    .start();
                Map<String, String> headers = new HashMap<>();
                propagator.inject(span.context(), headers, Map::put);
                span.end();

                assertThat(span.context().traceId()).isEqualTo("80f198ee56343ba864fe8b2a57d3eff7");
                assertThat(span.context().parentId()).isEqualTo("e457b5a2e4d86bd1");
                assertThat(propagator.fields()).contains("traceparent", "uber-trace-id", "uberctx-tenant");
                assertThat(headers).containsEntry("uber-trace-id",
                        "80f198ee56343ba864fe8b2a57d3eff7:" + span.context().spanId() + ":0:1")
                    .containsEntry("uberctx-tenant", "acme")
                    .containsKey("traceparent")
                    .doesNotContainKey("uberctx-secret");
            });
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "trace.sampling.rules[0].path=/orders/**,trace.sampling.rules[1].path=/a/{x|trace.sampling.rules[1].path|",
            "trace.sampling.rules[0].path=orders|trace.sampling.rules[0].path|starts with '/'",
            "trace.sampling.rules[0].path=/a,trace.sampling.rules[0].probability=1.5|trace.sampling.rules[0].probability|between 0.0 and 1.0",
            "trace.sampling.rules[0].path=/a,trace.sampling.rules[0].rate-limit=-1|trace.sampling.rules[0].rate-limit|",
            "trace.sampling.rules[0].probability=0.5|trace.sampling.rules[0].method|needs a path, a method or a messaging destination",
            "trace.sampling.rules[0].method=GE T|trace.sampling.rules[0].method|not an HTTP method",
            "trace.sampling.rules[0].path=/a,trace.sampling.rules[0].method=GE T|trace.sampling.rules[0].method|not an HTTP method",
            "trace.sampling.rules[0].messaging-destination=jobs,trace.sampling.rules[0].path=/a|trace.sampling.rules[0].messaging-destination|not both",
            "trace.sampling.keep.slower-than=-1s|trace.sampling.keep.slower-than|",
            "trace.sampling.keep.max-pending-spans=0|trace.sampling.keep.max-pending-spans|at least 1",
            "trace.sampling.keep.rate-limit=-1|trace.sampling.keep.rate-limit|0 (no limit) or positive",
            "trace.baggage.remote-fields=traceparent|trace.baggage.remote-fields|is a trace header" })
    void invalidRulesAndKeepSettingsFailStartupNamingTheRuleAndProperty(String properties, String property,
            String reason) {
        runner.withPropertyValues(properties.split(",")).run(context -> {
            assertThat(context).hasFailed();
            assertThat(StartupFailures.text(context.getStartupFailure())).contains(property)
                .contains(reason == null ? "" : reason);
        });
    }

    @Test
    void aRulesRateLimitIsCountedForThatRuleAlone() {
        runner.withPropertyValues("trace.sampling.probability=0.0", "trace.sampling.rules[0].path=/limited/**",
                "trace.sampling.rules[0].probability=1.0", "trace.sampling.rules[0].rate-limit=1",
                "trace.sampling.rules[1].path=/open/**", "trace.sampling.rules[1].probability=1.0")
            .run(context -> {
                Tracer tracer = context.getBean(Tracer.class);
                SamplingRules rules = context.getBean(SamplingRules.class);
                List<String> sampled = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    for (String path : List.of("/limited/" + i, "/open/" + i)) {
                        Span.Builder builder = tracer.spanBuilder();
                        rules.applyToRequest(builder, "GET", path);
                        Span span = builder.name(path).start();
                        if (Boolean.TRUE.equals(span.context().sampled())) {
                            sampled.add(path);
                        }
                        span.end();
                    }
                }
                // 1 a second has no burst: of five traces at once, the first; the other rule has the global 100
                assertThat(sampled).containsExactly("/limited/0", "/open/0", "/open/1", "/open/2", "/open/3",
                        "/open/4");
            });
    }

    @Test
    void validRulesAndKeepSettingsStart() {
        runner.withPropertyValues("trace.sampling.rules[0].path=/orders/{id}", "trace.sampling.rules[0].method=post",
                "trace.sampling.rules[1].messaging-destination=payments", "trace.sampling.rules[1].probability=0.5",
                "trace.sampling.keep.errors=true", "trace.sampling.keep.slower-than=2s")
            .run(context -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(SamplingRules.class).isEmpty()).isFalse();
                assertThat(((TraceTracer) context.getBean(Tracer.class)).keepPolicy().slowerThanMicros())
                    .isEqualTo(2_000_000L);
            });
    }

    @Test
    void negativeRateLimitFailsStartupNamingTheProperty() {
        runner.withPropertyValues("trace.sampling.rate-limit=-1").run(context -> {
            assertThat(context).hasFailed();
            assertThat(StartupFailures.text(context.getStartupFailure())).contains("trace.sampling.rate-limit");
        });
    }

    @Test
    void nonPositiveMaxSpansFailsStartupNamingTheProperty() {
        runner.withPropertyValues("trace.export.memory.max-spans=0").run(context -> {
            assertThat(context).hasFailed();
            assertThat(StartupFailures.text(context.getStartupFailure())).contains("trace.export.memory.max-spans");
        });
    }

    @Test
    void emptyProduceListFailsStartupNamingTheProperty() {
        runner.withPropertyValues("trace.propagation.produce=").run(context -> {
            assertThat(context).hasFailed();
            assertThat(StartupFailures.text(context.getStartupFailure())).contains("trace.propagation.produce");
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class PipelineConfiguration {

        final List<FinishedSpan> reported = new java.util.concurrent.CopyOnWriteArrayList<>();

        final java.util.Set<String> reportingThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();

        @Bean
        SpanFilter envTag() {
            return span -> {
                Map<String, String> tags = new HashMap<>(span.getTags());
                tags.put("env", "test");
                return span.setTags(tags);
            };
        }

        @Bean
        SpanExportingPredicate dropNamedDropped() {
            return span -> !"dropped".equals(span.getName());
        }

        @Bean
        SpanReporter collecting() {
            return span -> {
                reportingThreads.add(Thread.currentThread().getName());
                reported.add(span);
            };
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class UserBeansConfiguration {

        @Bean
        Tracer userTracer() {
            return Tracer.NOOP;
        }

        @Bean
        Propagator userPropagator() {
            return Propagator.NOOP;
        }

        @Bean
        Sampler userSampler() {
            return Sampler.NEVER_SAMPLE;
        }

    }

}
