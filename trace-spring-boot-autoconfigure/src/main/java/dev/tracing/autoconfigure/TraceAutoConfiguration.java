package dev.tracing.autoconfigure;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.tracing.actuate.TracerMetrics;
import dev.tracing.context.TraceContextThreadLocalAccessor;
import dev.tracing.core.MdcScopeDecorator;
import dev.tracing.core.Sampler;
import dev.tracing.core.ScopeDecorator;
import dev.tracing.core.SpanLifecycle;
import dev.tracing.core.ThreadLocalCurrentTraceContext;
import dev.tracing.core.Tracing;
import dev.tracing.export.BackgroundSpanReporters;
import dev.tracing.export.BatchingSpanReporter;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.export.SpanPipeline;
import dev.tracing.instrument.sampling.SamplingRules;
import dev.tracing.propagation.CompositePropagator;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.SpanCustomizer;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.SpanExportingPredicate;
import io.micrometer.tracing.exporter.SpanFilter;
import io.micrometer.tracing.exporter.SpanReporter;
import io.micrometer.tracing.propagation.Propagator;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.LazyInitializationExcludeFilter;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.Environment;

/**
 * Registers this starter's tracer behind the Micrometer Tracing API: the {@link Tracer} (which
 * is also the {@link io.micrometer.tracing.BaggageManager}), the {@link Propagator}, the
 * {@link CurrentTraceContext}, the {@link Sampler}, the span pipeline and the in-memory span
 * store.
 *
 * <p>Ordered before Spring Boot's Micrometer Tracing auto-configurations, as Boot's own Brave
 * and OpenTelemetry bridges are, so Boot's observation handlers use this tracer and its no-op
 * fallback backs off. A Brave or OpenTelemetry bridge on the classpath is not used (its tracer
 * bean backs off); start-up says so in one log line. Every bean backs off when the application defines its own; an
 * application that defines its own {@link Tracer} gets none of these beans, since they only
 * work with this tracer.
 */
@AutoConfiguration(beforeName = {
        "org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration",
        "org.springframework.boot.micrometer.tracing.autoconfigure.BraveAutoConfiguration",
        "org.springframework.boot.micrometer.tracing.brave.autoconfigure.BraveAutoConfiguration",
        "org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration",
        "org.springframework.boot.micrometer.tracing.autoconfigure.NoopTracerAutoConfiguration" })
@ConditionalOnProperty(prefix = "trace", name = "enabled", havingValue = "true", matchIfMissing = true)
@ConditionalOnMissingBean(Tracer.class)
@EnableConfigurationProperties({ TraceProperties.class, TraceSamplingProperties.class,
        TracePropagationProperties.class, TraceBaggageProperties.class, TraceSpanLimitsProperties.class,
        TraceExportProperties.class })
public final class TraceAutoConfiguration {

    /**
     * With {@code spring.main.lazy-initialization=true}, the context-propagation accessor is still
     * made at start-up: making it installs Reactor's automatic propagation and registers the
     * accessor, and nothing asks for it by name (lazily, every chain would lose the trace).
     */
    @Bean
    static LazyInitializationExcludeFilter traceEagerBeans() {
        return LazyInitializationExcludeFilter.forBeanTypes(TraceContextThreadLocalAccessor.class);
    }

    @Bean
    @ConditionalOnMissingBean
    Sampler traceSampler(TraceSamplingProperties sampling) {
        Sampler.Builder builder = Sampler.builder();
        PropertyMapping.map("trace.sampling.probability", sampling.getProbability(), builder::probability);
        PropertyMapping.map("trace.sampling.rate-limit", sampling.getRateLimit(), builder::rateLimit);
        return builder.build();
    }

    /** {@code trace.sampling.rules}, each checked at start-up and named by its index when wrong. */
    @Bean
    @ConditionalOnMissingBean
    SamplingRules traceSamplingRules(TraceSamplingProperties sampling) {
        return PropertyMapping.samplingRules(sampling);
    }

    /**
     * Primary, since Spring Boot's OpenTelemetry module, when present, registers its own
     * {@link CurrentTraceContext} (it only backs off for another OpenTelemetry one).
     */
    @Bean
    @Primary
    @ConditionalOnMissingBean
    CurrentTraceContext traceCurrentTraceContext(TraceBaggageProperties baggage,
            ObjectProvider<ScopeDecorator> scopeDecorators) {
        List<ScopeDecorator> decorators = new ArrayList<>();
        decorators.add(PropertyMapping.apply("trace.baggage.correlation-fields", baggage.getCorrelationFields(),
                () -> new MdcScopeDecorator(baggage.getCorrelationFields())));
        scopeDecorators.orderedStream().forEach(decorators::add);
        return new ThreadLocalCurrentTraceContext(decorators);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "trace.export.memory", name = "enabled", havingValue = "true",
            matchIfMissing = true)
    InMemorySpanStore traceInMemorySpanStore(TraceExportProperties export) {
        InMemorySpanStore.Builder builder = InMemorySpanStore.builder();
        TraceExportProperties.Memory memory = export.getMemory();
        PropertyMapping.map("trace.export.memory.max-spans", memory.getMaxSpans(), builder::maxSpans);
        PropertyMapping.map("trace.export.memory.max-traces-per-second", memory.getMaxTracesPerSecond(),
                builder::maxTracesPerSecond);
        PropertyMapping.map("trace.export.memory.max-spans-per-trace", memory.getMaxSpansPerTrace(),
                builder::maxSpansPerTrace);
        return builder.build();
    }

    /**
     * Every {@link SpanReporter} bean, the application's own each on a background thread of its
     * own (bounded by {@code trace.export.batch.max-queue-size}), so a slow one never delays a
     * request. At shutdown their queues and the exporters' drain within one
     * {@code trace.export.batch.timeout}, together: this is destroyed before the reporters.
     */
    @Bean
    @ConditionalOnMissingBean
    BackgroundSpanReporters traceBackgroundSpanReporters(TraceExportProperties export,
            ConfigurableListableBeanFactory beanFactory, ObjectProvider<SpanReporter> reporters) {
        // every batch setting is checked here, whether or not a backend uses them yet
        BatchingSpanReporter.Builder settings = PropertyMapping.batching(export.getBatch());
        Map<String, SpanReporter> byName = beanFactory.getBeansOfType(SpanReporter.class);
        Map<String, SpanReporter> ordered = new LinkedHashMap<>();
        reporters.orderedStream().forEach(reporter -> ordered.put(beanName(byName, reporter), reporter));
        for (String reporter : byName.keySet()) {
            beanFactory.registerDependentBean(reporter, "traceBackgroundSpanReporters");
        }
        return new BackgroundSpanReporters(ordered, settings.maxQueueSize(), settings.timeout());
    }

    private static String beanName(Map<String, SpanReporter> byName, SpanReporter reporter) {
        for (Map.Entry<String, SpanReporter> entry : byName.entrySet()) {
            if (entry.getValue() == reporter) {
                return entry.getKey();
            }
        }
        return reporter.getClass().getName() + "@" + Integer.toHexString(System.identityHashCode(reporter));
    }

    @Bean
    @ConditionalOnMissingBean
    SpanPipeline traceSpanPipeline(ObjectProvider<SpanFilter> filters,
            ObjectProvider<SpanExportingPredicate> predicates, BackgroundSpanReporters reporters) {
        return new SpanPipeline(filters.orderedStream().toList(), predicates.orderedStream().toList(),
                reporters.reporters());
    }

    /**
     * The span pipeline as the tracer reaches it: resolved once every singleton is made, so an
     * exporter or reporter of the application's may use a client the starter traces. Its
     * reporters drain at shutdown only after every bean that uses the tracer is destroyed.
     */
    @Bean
    DeferredSpanPipeline traceDeferredSpanPipeline(TraceExportProperties export,
            ConfigurableListableBeanFactory beanFactory, ObjectProvider<SpanPipeline> pipeline) {
        return new DeferredSpanPipeline(() -> {
            SpanPipeline started = pipeline.getObject();
            // what the tracer reaches is destroyed after it, as if it were a constructor argument
            for (Class<?> stage : List.of(SpanPipeline.class, BackgroundSpanReporters.class)) {
                for (String name : beanFactory.getBeanNamesForType(stage, false, false)) {
                    beanFactory.registerDependentBean(name, "traceDeferredSpanPipeline");
                }
            }
            return started;
        }, Math.max(0, export.getBatch().getMaxQueueSize()));
    }

    @Bean
    @ConditionalOnMissingBean
    Tracer traceTracer(TraceProperties properties, TraceSamplingProperties sampling, TraceBaggageProperties baggage,
            TraceSpanLimitsProperties limits, Environment environment, Sampler sampler,
            CurrentTraceContext currentTraceContext, DeferredSpanPipeline pipeline,
            ObjectProvider<SpanLifecycle> lifecycle) {
        Tracing.Builder builder = Tracing.newBuilder();
        PropertyMapping.map("trace.baggage.tag-fields", baggage.getTagFields(), builder::tagFields);
        return builder
            .spanLimits(PropertyMapping.spanLimits(limits))
            .serviceName(serviceName(properties, environment))
            .sampler(sampler)
            .respectIncoming(sampling.isRespectIncoming())
            .currentTraceContext(currentTraceContext)
            .reporter(pipeline::report)
            .remoteFields(baggage.getRemoteFields())
            .correlationFields(baggage.getCorrelationFields())
            .spanLifecycle(SpanLifecycle.of(lifecycle.orderedStream().toList()))
            .keep(PropertyMapping.keepPolicy(sampling.getKeep()))
            .build();
    }

    /** Customizes whichever span of this tracer is current when called. */
    @Bean
    @ConditionalOnMissingBean
    SpanCustomizer traceSpanCustomizer(Tracer tracer) {
        return tracer.currentSpanCustomizer();
    }

    @Bean
    @ConditionalOnMissingBean
    Propagator tracePropagator(TracePropagationProperties propagation, TraceBaggageProperties baggage,
            Tracer tracer) {
        CompositePropagator.Builder builder = CompositePropagator.builder(tracer);
        PropertyMapping.map("trace.propagation.consume", propagation.getConsume(), builder::consume);
        PropertyMapping.map("trace.propagation.produce", propagation.getProduce(), builder::produce);
        PropertyMapping.map("trace.baggage.remote-fields", baggage.getRemoteFields(), builder::remoteFields);
        return builder.build();
    }

    @Bean
    @ConditionalOnMissingBean
    ReplacedTracingPropertiesWarning traceReplacedTracingPropertiesWarning(Environment environment) {
        return new ReplacedTracingPropertiesWarning(environment);
    }

    @Bean
    @ConditionalOnMissingBean
    UnusedBridgesNotice traceUnusedBridgesNotice() {
        return new UnusedBridgesNotice();
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
    static class Metrics {

        @Bean
        @ConditionalOnMissingBean
        TracerMetrics traceTracerMetrics(Tracer tracer, ObjectProvider<InMemorySpanStore> store) {
            return new TracerMetrics(tracer, store.getIfAvailable());
        }

    }

    static String serviceName(TraceProperties properties, Environment environment) {
        String name = properties.getServiceName();
        if (name == null || name.isBlank()) {
            name = environment.getProperty("spring.application.name");
        }
        return name == null || name.isBlank() ? Tracing.DEFAULT_SERVICE_NAME : name;
    }

}
