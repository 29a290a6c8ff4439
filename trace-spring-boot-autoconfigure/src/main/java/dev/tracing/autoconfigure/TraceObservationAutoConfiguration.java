package dev.tracing.autoconfigure;

import dev.tracing.instrument.annotation.SpelValueExpressionResolver;
import dev.tracing.instrument.annotation.TraceMethodInvocationProcessor;
import dev.tracing.instrument.http.HttpSpanPolicy;
import dev.tracing.instrument.metrics.PrometheusExemplarSpanContext;
import dev.tracing.instrument.observation.HttpClientObservationSpanHandler;
import dev.tracing.instrument.observation.InstrumentedExchangeObservationHandler;
import dev.tracing.instrument.observation.InstrumentedExchangeObservationPredicate;
import dev.tracing.instrument.observation.InstrumentedExchanges;
import dev.tracing.instrument.observation.ObservationSpanHandler;
import dev.tracing.instrument.observation.ReceiverObservationSpanHandler;
import dev.tracing.instrument.observation.SenderObservationSpanHandler;
import io.micrometer.common.annotation.ValueExpressionResolver;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.annotation.DefaultNewSpanParser;
import io.micrometer.tracing.annotation.ImperativeMethodInvocationProcessor;
import io.micrometer.tracing.annotation.MethodInvocationProcessor;
import io.micrometer.tracing.annotation.NewSpanParser;
import io.micrometer.tracing.annotation.SpanAspect;
import io.micrometer.tracing.annotation.SpanTagAnnotationHandler;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.propagation.Propagator;
import io.prometheus.metrics.tracer.common.SpanContext;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationRegistryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.util.ClassUtils;

/**
 * Lives beside Spring's Observation instrumentation. Registers the five tracing
 * {@code ObservationHandler}s that Spring Boot collects into the {@code ObservationRegistry}
 * (with or without Boot's tracing module, whose own three handlers then back off; not at all
 * without Boot's Observation module, unless the application has a registry of its own): exchanges
 * this starter already traces get no second span (and no Observation at all when only these
 * handlers would take it), every other Observation becomes a span of this tracer. Also:
 * Prometheus exemplars with our trace and span ids, and Micrometer's
 * {@code @NewSpan}/{@code @ContinueSpan} aspect when AspectJ is present.
 */
@AutoConfiguration(after = { TraceAutoConfiguration.class, TraceWebFluxAutoConfiguration.class }, beforeName = {
        "org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration",
        "org.springframework.boot.micrometer.tracing.autoconfigure.prometheus.PrometheusExemplarsAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus"
                + ".PrometheusMetricsExportAutoConfiguration" })
@ConditionalOnTracingEnabled
@ConditionalOnBean(TraceAutoConfiguration.class)
@EnableConfigurationProperties({ TraceWebProperties.class, TraceAnnotationsProperties.class })
public final class TraceObservationAutoConfiguration {

    /** A class of Spring Boot's Observation module, which collects handler beans into its registry. */
    private static final String OBSERVATION_MODULE =
            "org.springframework.boot.micrometer.observation.autoconfigure.ObservationRegistryCustomizer";

    /** Same order as Spring Boot gives its handlers; ours are disjoint, so it only matters to users' own. */
    private static final int RECEIVER_ORDER = 1000;

    private static final int SENDER_ORDER = 2000;

    private static final int DEFAULT_ORDER = Integer.MAX_VALUE - 1000;

    /**
     * The handlers, where something collects them into a registry: Spring Boot's Observation module
     * (which actuator brings), or an {@code ObservationRegistry} bean of the application's own.
     * Without either, Spring's instrumentation observes nothing and the handlers would only cost
     * start-up.
     */
    @Configuration(proxyBeanMethods = false)
    @Conditional(ObservationRegistryExpected.class)
    @EnableConfigurationProperties({ TraceKafkaProperties.class, TraceGrpcProperties.class,
            TraceObservationProperties.class })
    static class Handlers {

        @Bean
        @ConditionalOnMissingBean
        InstrumentedExchanges traceInstrumentedExchanges(TraceWebProperties web, TraceKafkaProperties kafka,
                TraceGrpcProperties grpc) {
            boolean grpcOn = grpc.isEnabled() && ClassUtils.isPresent("io.grpc.ServerInterceptor", null);
            return InstrumentedExchanges.of(web.getServer().isEnabled(), web.getClient().isEnabled(),
                    kafka.isEnabled() && ClassUtils.isPresent("org.springframework.kafka.core.ProducerFactory", null),
                    grpcOn && grpc.getServer().isEnabled()
                            && ClassUtils.isPresent("org.springframework.grpc.server.GlobalServerInterceptor", null),
                    grpcOn && grpc.getClient().isEnabled()
                            && ClassUtils.isPresent("org.springframework.grpc.client.GlobalClientInterceptor", null));
        }

        @Bean
        @ConditionalOnMissingBean
        @Order(0)
        InstrumentedExchangeObservationHandler traceInstrumentedExchangeObservationHandler(Tracer tracer,
                InstrumentedExchanges exchanges) {
            return new InstrumentedExchangeObservationHandler(tracer, exchanges);
        }

        @Bean
        @ConditionalOnMissingBean(DefaultTracingObservationHandler.class)
        @Order(DEFAULT_ORDER)
        ObservationSpanHandler traceObservationSpanHandler(Tracer tracer, InstrumentedExchanges exchanges) {
            return new ObservationSpanHandler(tracer, exchanges);
        }

        @Bean
        @ConditionalOnMissingBean(PropagatingSenderTracingObservationHandler.class)
        @Order(SENDER_ORDER)
        SenderObservationSpanHandler traceSenderObservationSpanHandler(Tracer tracer, Propagator propagator,
                InstrumentedExchanges exchanges) {
            return new SenderObservationSpanHandler(tracer, propagator, exchanges);
        }

        @Bean
        @ConditionalOnMissingBean
        @Order(SENDER_ORDER - 1)
        HttpClientObservationSpanHandler traceHttpClientObservationSpanHandler(Tracer tracer, Propagator propagator,
                ObjectProvider<HttpSpanPolicy> policy, InstrumentedExchanges exchanges) {
            return new HttpClientObservationSpanHandler(tracer, propagator,
                    policy.getIfAvailable(() -> HttpSpanPolicy.builder().build()), exchanges);
        }

        @Bean
        @ConditionalOnMissingBean(PropagatingReceiverTracingObservationHandler.class)
        @Order(RECEIVER_ORDER)
        ReceiverObservationSpanHandler traceReceiverObservationSpanHandler(Tracer tracer, Propagator propagator,
                InstrumentedExchanges exchanges) {
            return new ReceiverObservationSpanHandler(tracer, propagator, exchanges);
        }

    }

    static final class ObservationRegistryExpected extends AnyNestedCondition {

        ObservationRegistryExpected() {
            super(ConfigurationPhase.REGISTER_BEAN);
        }

        @ConditionalOnClass(name = OBSERVATION_MODULE)
        static class BootsObservationModule {

        }

        @ConditionalOnBean(ObservationRegistry.class)
        static class OwnRegistry {

        }

    }

    /**
     * Adds the predicate to the registries Spring Boot configures, but not to a
     * {@code TestObservationRegistry}: its handler is added in code, where the predicate, which
     * reads the handler beans, would not see it.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = OBSERVATION_MODULE)
    static class LeftOutObservations {

        private static final String TEST_REGISTRY = "io.micrometer.observation.tck.TestObservationRegistry";

        @Bean
        @ConditionalOnMissingBean(name = "traceInstrumentedExchangeObservations")
        ObservationRegistryCustomizer<ObservationRegistry> traceInstrumentedExchangeObservations(
                InstrumentedExchanges exchanges, TraceObservationProperties properties,
                ObjectProvider<ObservationHandler<?>> handlers) {
            InstrumentedExchangeObservationPredicate predicate = new InstrumentedExchangeObservationPredicate(
                    exchanges, properties.getInstrumentedExchanges(), () -> handlers.orderedStream().toList());
            return registry -> {
                if (!TEST_REGISTRY.equals(registry.getClass().getName())) {
                    registry.observationConfig().observationPredicate(predicate);
                }
            };
        }

    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.prometheus.metrics.tracer.common.SpanContext")
    static class PrometheusExemplars {

        @Bean
        @ConditionalOnMissingBean
        SpanContext tracePrometheusExemplarSpanContext(ObjectProvider<Tracer> tracer) {
            return new PrometheusExemplarSpanContext(tracer::getObject);
        }

    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.aspectj.weaver.Advice")
    @ConditionalOnProperty(prefix = "trace.annotations", name = "enabled", havingValue = "true", matchIfMissing = true)
    static class SpanAnnotations {

        @Bean
        @ConditionalOnMissingBean
        NewSpanParser traceNewSpanParser() {
            return new DefaultNewSpanParser();
        }

        @Bean
        @ConditionalOnMissingBean
        SpanTagAnnotationHandler traceSpanTagAnnotationHandler(BeanFactory beanFactory,
                ObjectProvider<ValueExpressionResolver> resolver) {
            ValueExpressionResolver expressions = resolver.getIfAvailable(SpelValueExpressionResolver::new);
            return new SpanTagAnnotationHandler(beanFactory::getBean, type -> expressions);
        }

        @Bean
        @ConditionalOnMissingBean
        MethodInvocationProcessor traceMethodInvocationProcessor(NewSpanParser parser, Tracer tracer,
                SpanTagAnnotationHandler tags) {
            return new TraceMethodInvocationProcessor(new ImperativeMethodInvocationProcessor(parser, tracer, tags),
                    parser, tracer, tags);
        }

        @Bean
        @ConditionalOnMissingBean
        SpanAspect traceSpanAspect(MethodInvocationProcessor processor) {
            return new SpanAspect(processor);
        }

    }

    /**
     * With the annotations off, Spring Boot's tracing module (when it is on the classpath and
     * {@code management.observations.annotations.enabled=true}) would register the same aspect over
     * this tracer: its aspect gets a processor that only runs the method.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.aspectj.weaver.Advice")
    @ConditionalOnProperty(prefix = "trace.annotations", name = "enabled", havingValue = "false")
    static class SpanAnnotationsOff {

        @Bean
        @ConditionalOnMissingBean
        MethodInvocationProcessor traceAnnotationsOff() {
            return (invocation, newSpan, continueSpan) -> invocation.proceed();
        }

    }

}
