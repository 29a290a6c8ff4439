package dev.tracing.autoconfigure;

import dev.tracing.instrument.kafka.KafkaSpanPolicy;
import dev.tracing.instrument.sampling.SamplingRules;
import dev.tracing.instrument.kafka.TraceKafkaFactoryPostProcessor;
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

/**
 * Kafka instrumentation: trace headers and a PRODUCER span on every record sent through a
 * Spring producer factory, a CONSUMER span around every record or batch a listener container
 * processes.
 */
@AutoConfiguration(after = TraceAutoConfiguration.class)
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

    @Bean
    static TraceKafkaFactoryPostProcessor traceKafkaFactoryPostProcessor(ObjectProvider<KafkaSpanPolicy> policy) {
        return new TraceKafkaFactoryPostProcessor(policy::getObject);
    }

}
