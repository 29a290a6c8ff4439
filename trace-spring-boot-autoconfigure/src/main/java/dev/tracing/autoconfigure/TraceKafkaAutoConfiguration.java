package dev.tracing.autoconfigure;

import dev.tracing.instrument.kafka.KafkaTracing;
import dev.tracing.instrument.kafka.TraceKafkaFactoryPostProcessor;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
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
public final class TraceKafkaAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    KafkaTracing traceKafkaTracing(Tracer tracer, Propagator propagator, TraceProperties properties) {
        return new KafkaTracing(tracer, propagator, properties.getKafka().isBatchRecordSpans());
    }

    @Bean
    static TraceKafkaFactoryPostProcessor traceKafkaFactoryPostProcessor(ObjectProvider<KafkaTracing> tracing) {
        return new TraceKafkaFactoryPostProcessor(tracing::getObject);
    }

}
