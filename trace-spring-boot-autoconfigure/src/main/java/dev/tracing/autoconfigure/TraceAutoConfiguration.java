package dev.tracing.autoconfigure;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import dev.tracing.context.MdcScopeDecorator;
import dev.tracing.context.ScopeDecorator;
import dev.tracing.context.ThreadLocalCurrentTraceContext;
import dev.tracing.core.Sampler;
import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import dev.tracing.export.BackgroundSpanReporters;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.export.SpanPipeline;
import dev.tracing.propagation.CompositePropagator;
import dev.tracing.propagation.PropagationType;
import dev.tracing.propagation.TraceContextFormat;
import dev.tracing.propagation.W3cBaggageFormat;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.SpanCustomizer;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.SpanExportingPredicate;
import io.micrometer.tracing.exporter.SpanFilter;
import io.micrometer.tracing.exporter.SpanReporter;
import io.micrometer.tracing.propagation.Propagator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;
import org.springframework.util.ClassUtils;

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
@EnableConfigurationProperties(TraceProperties.class)
public final class TraceAutoConfiguration {

    private static final Logger LOGGER = LoggerFactory.getLogger(TraceAutoConfiguration.class);

    /** Prefixes of Boot's and Sleuth's tracing properties, each with what this starter reads instead. */
    private static final String[][] REPLACED_PROPERTIES = {
            { "management.tracing.enabled", "trace.enabled" },
            { "management.tracing.sampling.", "trace.sampling.probability" },
            { "management.tracing.propagation.", "trace.propagation.produce and trace.propagation.consume" },
            { "management.tracing.baggage.remote-fields", "trace.baggage.remote-fields" },
            { "management.tracing.baggage.correlation.", "trace.baggage.correlation-fields" },
            { "management.tracing.export.zipkin.", "trace.export.zipkin.endpoint" },
            { "management.zipkin.tracing.", "trace.export.zipkin.endpoint" },
            { "management.opentelemetry.tracing.export.otlp.", "trace.export.otlp.endpoint and headers" },
            { "management.otlp.tracing.", "trace.export.otlp.endpoint and headers" },
            { "spring.sleuth.", "the trace.* properties" } };

    @Bean
    @ConditionalOnMissingBean
    Sampler traceSampler(TraceProperties properties) {
        return Sampler.create(properties.getSampling().getProbability(), properties.getSampling().getRateLimit());
    }

    /**
     * Primary, since Spring Boot's OpenTelemetry module, when present, registers its own
     * {@link CurrentTraceContext} (it only backs off for another OpenTelemetry one).
     */
    @Bean
    @Primary
    @ConditionalOnMissingBean
    CurrentTraceContext traceCurrentTraceContext(TraceProperties properties,
            ObjectProvider<ScopeDecorator> scopeDecorators) {
        List<ScopeDecorator> decorators = new ArrayList<>();
        decorators.add(new MdcScopeDecorator(properties.getBaggage().getCorrelationFields()));
        decorators.addAll(scopeDecorators.orderedStream().collect(Collectors.toList()));
        return new ThreadLocalCurrentTraceContext(decorators);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "trace.export.memory", name = "enabled", havingValue = "true",
            matchIfMissing = true)
    InMemorySpanStore traceInMemorySpanStore(TraceProperties properties) {
        TraceProperties.Memory memory = properties.getExport().getMemory();
        return new InMemorySpanStore(memory.getMaxSpans(), memory.getMaxTracesPerSecond());
    }

    /**
     * Every {@link SpanReporter} bean, the application's own each on a background thread of its
     * own (bounded by {@code trace.export.batch.max-queue-size}, drained within
     * {@code trace.export.batch.timeout} at shutdown), so a slow one never delays a request.
     */
    @Bean
    @ConditionalOnMissingBean
    BackgroundSpanReporters traceBackgroundSpanReporters(TraceProperties properties,
            ListableBeanFactory beanFactory, ObjectProvider<SpanReporter> reporters) {
        Map<String, SpanReporter> byName = beanFactory.getBeansOfType(SpanReporter.class);
        Map<String, SpanReporter> ordered = new LinkedHashMap<>();
        reporters.orderedStream().forEach(reporter -> ordered.put(beanName(byName, reporter), reporter));
        TraceProperties.Batch batch = properties.getExport().getBatch();
        return new BackgroundSpanReporters(ordered, batch.getMaxQueueSize(), batch.getTimeout());
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
        return new SpanPipeline(filters.orderedStream().collect(Collectors.toList()),
                predicates.orderedStream().collect(Collectors.toList()), reporters.reporters());
    }

    @Bean
    @ConditionalOnMissingBean
    Tracer traceTracer(TraceProperties properties, Environment environment, Sampler sampler,
            CurrentTraceContext currentTraceContext, SpanPipeline pipeline) {
        logUnusedBridges();
        logIgnoredTracingProperties(environment);
        return Tracing.newBuilder()
            .serviceName(serviceName(properties, environment))
            .sampler(sampler)
            .currentTraceContext(currentTraceContext)
            .reporter(pipeline::report)
            .remoteFields(properties.getBaggage().getRemoteFields())
            .correlationFields(properties.getBaggage().getCorrelationFields())
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
    Propagator tracePropagator(TraceProperties properties, Tracer tracer) {
        TraceProperties.Propagation propagation = properties.getPropagation();
        return new CompositePropagator(tracer, formats(propagation.getConsume()), formats(propagation.getProduce()),
                new W3cBaggageFormat(properties.getBaggage().getRemoteFields()));
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
    static class Metrics {

        @Bean
        @ConditionalOnMissingBean
        TraceTracerMetrics traceTracerMetrics(Tracer tracer, ObjectProvider<InMemorySpanStore> store) {
            return new TraceTracerMetrics(tracer, store);
        }

    }

    /**
     * What shows the tracer's health over time, bound to every {@code MeterRegistry} Spring Boot
     * configures: {@code trace.spans.started} (sampled spans), {@code trace.spans.open} (started,
     * not yet ended), {@code trace.context.threads} (live threads with a current trace context
     * now) and {@code trace.memory.spans} (spans the in-memory store holds). Once the application
     * is idle, open spans and threads with a context are zero; above zero they point at a leak.
     */
    public static final class TraceTracerMetrics implements MeterBinder {

        private final Tracer tracer;

        private final ObjectProvider<InMemorySpanStore> store;

        TraceTracerMetrics(Tracer tracer, ObjectProvider<InMemorySpanStore> store) {
            this.tracer = tracer;
            this.store = store;
        }

        @Override
        public void bindTo(MeterRegistry registry) {
            if (tracer instanceof TraceTracer ours) {
                FunctionCounter.builder("trace.spans.started", ours, TraceTracer::startedSpanCount)
                    .description("Sampled spans started")
                    .register(registry);
                Gauge.builder("trace.spans.open", ours, TraceTracer::openSpanCount)
                    .description("Sampled spans started and not yet ended")
                    .register(registry);
            }
            Gauge.builder("trace.context.threads", () -> ThreadLocalCurrentTraceContext.threadsWithAContext().size())
                .description("Live threads that have a current trace context now")
                .register(registry);
            InMemorySpanStore spans = store.getIfAvailable();
            if (spans != null) {
                Gauge.builder("trace.memory.spans", spans, InMemorySpanStore::spanCount)
                    .description("Spans held by the in-memory store")
                    .register(registry);
            }
        }

    }

    private static List<TraceContextFormat> formats(List<PropagationType> types) {
        List<TraceContextFormat> formats = new ArrayList<>(types.size());
        for (PropagationType type : types) {
            if (!formats.contains(type.format())) {
                formats.add(type.format());
            }
        }
        return formats;
    }

    private static void logUnusedBridges() {
        List<String> bridges = new ArrayList<>(2);
        if (ClassUtils.isPresent("io.micrometer.tracing.otel.bridge.OtelTracer", null)) {
            bridges.add("OpenTelemetry");
        }
        if (ClassUtils.isPresent("io.micrometer.tracing.brave.bridge.BraveTracer", null)) {
            bridges.add("Brave");
        }
        if (!bridges.isEmpty()) {
            LOGGER.info("Spans are recorded by trace-spring-boot-starter's tracer; the Micrometer Tracing {} "
                    + "bridge on the classpath is not used (set trace.enabled=false to use it)",
                    String.join(" and ", bridges));
        }
    }

    /**
     * Where the properties of Spring Boot's own tracing or of Spring Cloud Sleuth are set, one
     * warning names them and what this starter reads instead: a sampling probability or a
     * propagation type carried over from them would otherwise be ignored without a word.
     */
    static void logIgnoredTracingProperties(Environment environment) {
        if (!(environment instanceof ConfigurableEnvironment configurable)) {
            return;
        }
        Map<String, String> ignored = new TreeMap<>();
        for (PropertySource<?> source : configurable.getPropertySources()) {
            if (source instanceof EnumerablePropertySource<?> enumerable) {
                String[] names;
                try {
                    names = enumerable.getPropertyNames();
                }
                catch (RuntimeException ex) {
                    // a composite of sources that cannot all list their names: nothing to warn about there
                    continue;
                }
                for (String name : names) {
                    String instead = readInstead(name);
                    if (instead != null) {
                        // a list's elements once: remote-fields[0], remote-fields[1]
                        int index = name.indexOf('[');
                        ignored.put(index < 0 ? name : name.substring(0, index), instead);
                    }
                }
            }
        }
        if (!ignored.isEmpty()) {
            StringBuilder list = new StringBuilder();
            ignored.forEach((name, instead) -> list.append(list.length() == 0 ? "" : ", ").append(name)
                .append(" (use ").append(instead).append(')'));
            LOGGER.warn("trace-spring-boot-starter does not read these properties of Spring Boot's tracing or "
                    + "Spring Cloud Sleuth: {}", list);
        }
    }

    /** The property of this starter that replaces a property of Boot's tracing or of Sleuth, or null. */
    static String readInstead(String name) {
        // MANAGEMENT_TRACING_SAMPLING_PROBABILITY as well as management.tracing.sampling.probability
        String normalized = normalized(name);
        for (String[] replacement : REPLACED_PROPERTIES) {
            if (normalized.startsWith(normalized(replacement[0]))) {
                return replacement[1];
            }
        }
        return null;
    }

    private static String normalized(String name) {
        return name.toLowerCase(java.util.Locale.ROOT).replace('_', '.').replace('-', '.');
    }

    static String serviceName(TraceProperties properties, Environment environment) {
        String name = properties.getServiceName();
        if (name == null || name.isBlank()) {
            name = environment.getProperty("spring.application.name");
        }
        return name == null || name.isBlank() ? "application" : name;
    }

}
