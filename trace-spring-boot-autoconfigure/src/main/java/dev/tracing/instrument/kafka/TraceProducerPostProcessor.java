package dev.tracing.instrument.kafka;

import org.apache.kafka.clients.producer.Producer;

import org.springframework.kafka.core.ProducerPostProcessor;

/** Wraps every producer a Spring {@code ProducerFactory} creates in a {@link TraceProducer}. */
public final class TraceProducerPostProcessor<K, V> implements ProducerPostProcessor<K, V> {

    private final KafkaTracing tracing;

    public TraceProducerPostProcessor(KafkaTracing tracing) {
        this.tracing = tracing;
    }

    @Override
    public Producer<K, V> apply(Producer<K, V> producer) {
        return producer instanceof TraceProducer ? producer : new TraceProducer<>(producer, tracing);
    }

}
