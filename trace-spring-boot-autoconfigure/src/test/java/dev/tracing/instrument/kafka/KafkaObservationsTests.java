package dev.tracing.instrument.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.tracing.export.InMemorySpanStore;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.kafka.test.utils.ContainerTestUtils;

import static dev.tracing.testing.TraceAssertions.only;
import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * With Spring Kafka's observations on, every send and every received record has exactly one
 * span and one set of trace headers, wherever the template or the container comes from: Boot's
 * beans (our producer and listener interceptor trace them) or built by hand on factories that
 * are not beans (their Observations do, through the same span policy).
 */
@SpringBootTest(classes = KafkaObservationsTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.NONE,
        properties = { "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}",
                "spring.kafka.consumer.auto-offset-reset=earliest", "spring.kafka.template.observation-enabled=true",
                "spring.kafka.listener.observation-enabled=true", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0", "logging.level.org.apache.kafka=warn",
                "logging.level.kafka=warn", "logging.level.state.change.logger=warn" })
@EmbeddedKafka(partitions = 1, topics = { KafkaObservationsTests.BEANS, KafkaObservationsTests.BY_HAND })
class KafkaObservationsTests {

    static final String BEANS = "observed-beans";

    static final String BY_HAND = "observed-by-hand";

    private static final Duration DELIVERY = Duration.ofSeconds(30);

    @Autowired
    Tracer tracer;

    @Autowired
    ObservationRegistry observationRegistry;

    @Autowired
    KafkaTemplate<String, String> template;

    @Autowired
    InMemorySpanStore store;

    @Autowired
    EmbeddedKafkaBroker broker;

    @Autowired
    App.Listener listener;

    @Test
    void aTemplateAndAContainerBuiltByHandGiveOneSpanEachThroughTheirObservations() throws Exception {
        BlockingQueue<ConsumerRecord<String, String>> received = new LinkedBlockingQueue<>();
        List<String> currentSpans = new CopyOnWriteArrayList<>();
        ContainerProperties properties = new ContainerProperties(BY_HAND);
        properties.setObservationEnabled(true);
        properties.setObservationRegistry(observationRegistry);
        properties.setMessageListener((MessageListener<String, String>) record -> {
            Span current = tracer.currentSpan();
            currentSpans.add(current == null ? "none" : current.context().spanId());
            received.add(record);
        });
        KafkaMessageListenerContainer<String, String> container = new KafkaMessageListenerContainer<>(
                new DefaultKafkaConsumerFactory<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        broker.getBrokersAsString(), ConsumerConfig.GROUP_ID_CONFIG, "by-hand",
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                        StringDeserializer.class, ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                        StringDeserializer.class)),
                properties);
        DefaultKafkaProducerFactory<String, String> producers = new DefaultKafkaProducerFactory<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString(),
                        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
        KafkaTemplate<String, String> byHand = new KafkaTemplate<>(producers);
        byHand.setObservationEnabled(true);
        byHand.setObservationRegistry(observationRegistry);
        container.start();
        try {
            ContainerTestUtils.waitForAssignment(container, 1);
            String traceId = sendInASpan(byHand, BY_HAND);
            ConsumerRecord<String, String> record = received.poll(DELIVERY.toSeconds(), TimeUnit.SECONDS);
            assertThat(record).as("the record reached the listener").isNotNull();

            List<FinishedSpan> spans = awaitSpans(traceId, 3);
            FinishedSpan caller = only(spans, span -> "caller".equals(span.getName()));
            FinishedSpan producer = only(spans, span -> span.getKind() == Span.Kind.PRODUCER);
            FinishedSpan consumer = only(spans, span -> span.getKind() == Span.Kind.CONSUMER);
            assertThat(producer.getName()).isEqualTo("send " + BY_HAND);
            assertThat(producer.getParentId()).isEqualTo(caller.getSpanId());
            assertThat(producer.getTags()).containsEntry("messaging.destination.name", BY_HAND);
            assertThat(consumer.getName()).isEqualTo("process " + BY_HAND);
            assertThat(consumer.getParentId()).isEqualTo(producer.getSpanId());
            assertThat(traceparents(record)).containsExactly("00-" + traceId + "-" + producer.getSpanId() + "-01");
            assertThat(currentSpans).containsExactly(consumer.getSpanId());
        }
        finally {
            container.stop();
            producers.destroy();
        }
    }

    @Test
    void beansWithObservationsOnKeepOneSpanEachWithTheAcknowledgedOffset() throws Exception {
        String traceId = sendInASpan(template, BEANS);
        ConsumerRecord<String, String> record = listener.received.poll(DELIVERY.toSeconds(), TimeUnit.SECONDS);
        assertThat(record).as("the record reached the listener").isNotNull();

        List<FinishedSpan> spans = awaitSpans(traceId, 3);
        FinishedSpan caller = only(spans, span -> "caller".equals(span.getName()));
        FinishedSpan producer = only(spans, span -> span.getKind() == Span.Kind.PRODUCER);
        FinishedSpan consumer = only(spans, span -> span.getKind() == Span.Kind.CONSUMER);
        assertThat(producer.getParentId()).isEqualTo(caller.getSpanId());
        // our producer ended the span on the acknowledgement: the broker's offset is on it
        assertThat(producer.getTags()).containsEntry("messaging.kafka.offset", String.valueOf(record.offset()));
        assertThat(consumer.getParentId()).isEqualTo(producer.getSpanId());
        assertThat(traceparents(record)).containsExactly("00-" + traceId + "-" + producer.getSpanId() + "-01");
        assertThat(listener.currentSpans).contains(consumer.getSpanId());
    }

    @Test
    void aProducerInterceptorThatReturnsANewRecordStillGivesOneSpan() throws Exception {
        // a template on Boot's producer factory (ours), observed, whose interceptor replaces the record
        KafkaTemplate<String, String> intercepted = new KafkaTemplate<>(template.getProducerFactory());
        intercepted.setObservationEnabled(true);
        intercepted.setObservationRegistry(observationRegistry);
        intercepted.setProducerInterceptor(new ProducerInterceptor<>() {
            @Override
            public ProducerRecord<String, String> onSend(ProducerRecord<String, String> record) {
                return new ProducerRecord<>(record.topic(), record.partition(), record.key(), record.value() + "!",
                        record.headers());
            }

            @Override
            public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
            }

            @Override
            public void close() {
            }

            @Override
            public void configure(Map<String, ?> configs) {
            }
        });
        String traceId = sendInASpan(intercepted, BEANS);
        ConsumerRecord<String, String> record = listener.received.poll(DELIVERY.toSeconds(), TimeUnit.SECONDS);
        assertThat(record).as("the record reached the listener").isNotNull();
        assertThat(record.value()).isEqualTo("value!");

        List<FinishedSpan> spans = awaitSpans(traceId, 3);
        FinishedSpan producer = only(spans, span -> span.getKind() == Span.Kind.PRODUCER);
        FinishedSpan consumer = only(spans, span -> span.getKind() == Span.Kind.CONSUMER);
        assertThat(producer.getTags()).containsEntry("messaging.kafka.offset", String.valueOf(record.offset()));
        assertThat(consumer.getParentId()).isEqualTo(producer.getSpanId());
        assertThat(traceparents(record)).containsExactly("00-" + traceId + "-" + producer.getSpanId() + "-01");
    }

    private String sendInASpan(KafkaTemplate<String, String> sender, String topic) throws Exception {
        Span caller = tracer.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(caller)) {
            sender.send(topic, "key", "value").get(DELIVERY.toSeconds(), TimeUnit.SECONDS);
        }
        finally {
            caller.end();
        }
        return caller.context().traceId();
    }

    /** Waits for {@code count} spans of the trace, then checks that no further one arrives. */
    private List<FinishedSpan> awaitSpans(String traceId, int count) {
        await().atMost(DELIVERY).until(() -> store.trace(traceId).size() >= count);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
            .until(() -> store.trace(traceId).size() == count);
        return store.trace(traceId);
    }

    private static List<String> traceparents(ConsumerRecord<String, String> record) {
        List<String> values = new ArrayList<>();
        for (Header header : record.headers().headers("traceparent")) {
            values.add(new String(header.value(), StandardCharsets.UTF_8));
        }
        return values;
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        @Bean
        Listener listener(Tracer tracer) {
            return new Listener(tracer);
        }

        static class Listener {

            final BlockingQueue<ConsumerRecord<String, String>> received = new LinkedBlockingQueue<>();

            final List<String> currentSpans = new CopyOnWriteArrayList<>();

            private final Tracer tracer;

            Listener(Tracer tracer) {
                this.tracer = tracer;
            }

            @KafkaListener(topics = BEANS, groupId = "beans")
            void onRecord(ConsumerRecord<String, String> record) {
                Span current = tracer.currentSpan();
                currentSpans.add(current == null ? "none" : current.context().spanId());
                received.add(record);
            }

        }

    }

}
