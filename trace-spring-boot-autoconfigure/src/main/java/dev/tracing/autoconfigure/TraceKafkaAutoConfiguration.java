package dev.tracing.autoconfigure;

import dev.tracing.instrument.kafka.KafkaObservationSpanHandler;
import dev.tracing.instrument.kafka.KafkaSpanPolicy;
import dev.tracing.instrument.kafka.TraceAsyncListeners;
import dev.tracing.instrument.kafka.TraceKafkaFactoryPostProcessor;
import dev.tracing.instrument.observation.InstrumentedExchanges;
import dev.tracing.instrument.sampling.SamplingRules;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.annotation.Order;

/**
 * Kafka instrumentation: trace headers and a PRODUCER span on every record sent through a
 * Spring producer factory, a CONSUMER span around every record or batch a listener container
 * processes (until the result completes, for a listener returning a {@code CompletableFuture} or a
 * {@code Mono}), and the same spans for the records Spring Kafka observes on templates and containers
 * that are not beans.
 */
@AutoConfiguration(after = { TraceAutoConfiguration.class, TraceObservationAutoConfiguration.class })
@ConditionalOnTracingEnabled
@ConditionalOnBean(TraceAutoConfiguration.class)
@ConditionalOnClass(name = { "org.springframework.kafka.core.ProducerFactory",
        "org.springframework.kafka.config.AbstractKafkaListenerContainerFactory" })
@ConditionalOnProperty(prefix = "trace.kafka", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(TraceKafkaProperties.class)
public final class TraceKafkaAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    KafkaSpanPolicy traceKafkaSpanPolicy(Tracer tracer, Propagator propagator, TraceKafkaProperties properties,
            SamplingRules samplingRules) {
        return new KafkaSpanPolicy(tracer, propagator, properties.isBatchRecordSpans(), samplingRules);
    }

    /** Records sent or received through a template or container that is not a bean, when Spring observes them. */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(InstrumentedExchanges.class)
    @Order(1999)
    KafkaObservationSpanHandler traceKafkaObservationSpanHandler(KafkaSpanPolicy policy,
            InstrumentedExchanges exchanges) {
        return new KafkaObservationSpanHandler(policy, exchanges);
    }

    /** Listeners returning a CompletableFuture or a Mono: their spans end when the result completes. */
    @Bean
    @ConditionalOnMissingBean
    TraceAsyncListeners traceKafkaAsyncListeners(ObjectProvider<KafkaSpanPolicy> policy) {
        return new TraceAsyncListeners(policy::getObject);
    }

    @Bean
    static TraceKafkaFactoryPostProcessor traceKafkaFactoryPostProcessor(ObjectProvider<KafkaSpanPolicy> policy) {
        return new TraceKafkaFactoryPostProcessor(policy::getObject);
    }

}
