package dev.tracing.instrument.sampling;

import java.time.Duration;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import static dev.tracing.testing.Waits.await;

/** Records sent by a producer that is not traced, so a listener starts each one's trace. */
final class RawRecords {

    private RawRecords() {
    }

    static void send(String brokers, String topic, String payload) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers), new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, payload)).get();
        }
    }

    /** Waits until the listener has seen {@code payload}; returns what it saw. */
    static String awaitReceived(String payload) {
        await().atMost(Duration.ofSeconds(30)).until(() -> SamplingWebFluxApp.received.containsKey(payload));
        return SamplingWebFluxApp.received.get(payload);
    }

}
