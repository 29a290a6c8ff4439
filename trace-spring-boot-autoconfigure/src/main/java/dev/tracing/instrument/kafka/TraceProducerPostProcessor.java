package dev.tracing.instrument.kafka;

import org.apache.kafka.clients.producer.Producer;

import org.springframework.kafka.core.ProducerPostProcessor;

/** Wraps every producer a Spring {@code ProducerFactory} creates in a {@link TraceProducer}. */
public final class TraceProducerPostProcessor<K, V> implements ProducerPostProcessor<K, V> {

    private final KafkaSpanPolicy policy;

    public TraceProducerPostProcessor(KafkaSpanPolicy policy) {
        this.policy = policy;
    }

    @Override
    public Producer<K, V> apply(Producer<K, V> producer) {
        return producer instanceof TraceProducer ? producer : new TraceProducer<>(producer, policy);
    }

}
