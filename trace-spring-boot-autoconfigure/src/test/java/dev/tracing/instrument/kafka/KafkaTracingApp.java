package dev.tracing.instrument.kafka;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import reactor.core.publisher.Mono;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.listener.BatchMessageListener;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.KafkaListenerErrorHandler;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.kafka.listener.RecordInterceptor;
import org.springframework.stereotype.Component;
import org.springframework.util.backoff.FixedBackOff;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * A WebFlux app with Kafka listeners for the Kafka tests: record listeners on Boot's factory
 * (with the application's own record interceptor and a retrying, dead-lettering error handler),
 * and a batch listener on a factory the application builds itself.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class KafkaTracingApp {

    static final String ORDERS = "orders";

    static final String BATCH = "batch-orders";

    static final String FAILING = "failing";

    static final String FAILING_DLT = "failing-dlt";

    static final String FAILING_BATCH = "failing-batch";

    static final String FAILING_PLAIN_BATCH = "failing-plain-batch";

    /** A batch listener that fails at a record named {@code bad...}, which the error handler dead-letters. */
    static final String DEAD_LETTERING_BATCH = "dead-lettering-batch";

    /** Where Spring Kafka's recoverer sends the dead letters of {@link #DEAD_LETTERING_BATCH}. */
    static final String DEAD_LETTERING_BATCH_DLT = DEAD_LETTERING_BATCH + "-dlt";

    static final String HAND_BUILT = "hand-built";

    /** A listener that fails, whose exception the listener's error handler swallows. */
    static final String SWALLOWED = "swallowed";

    /** The values whose listener's exception the error handler swallowed. */
    static final ConcurrentLinkedQueue<String> swallowed = new ConcurrentLinkedQueue<>();

    /** The back-off between the attempts of a batch retried in place. */
    static final long BATCH_RETRY_BACK_OFF_MILLIS = 700;

    static final String LISTENER_LOGGER = "kafka-test-listener";

    /** What the record listener saw, by record value. */
    static final Map<String, Seen> seen = new ConcurrentHashMap<>();

    /** What the batch listener saw, one entry per batch. */
    static final ConcurrentLinkedQueue<SeenBatch> batches = new ConcurrentLinkedQueue<>();

    /** Delivery attempts of the failing listener, and what the dead-letter topic received. */
    static final AtomicInteger failingAttempts = new AtomicInteger();

    static final Map<String, Seen> deadLetters = new ConcurrentHashMap<>();

    /** The trace id current in each attempt of the failing batch listeners, by topic. */
    static final Map<String, ConcurrentLinkedQueue<String>> failingBatchAttempts = new ConcurrentHashMap<>();

    /** The topics whose failed batches the error handler gave up on, once their retries were spent. */
    static final ConcurrentLinkedQueue<String> recoveredBatches = new ConcurrentLinkedQueue<>();

    /** The application's own record interceptor's calls, as "call:value:current trace id". */
    static final ConcurrentLinkedQueue<String> userInterceptorCalls = new ConcurrentLinkedQueue<>();

    record Seen(String traceId, String spanId, String mdcTraceId, List<String> traceparents, String tenant,
            int partition, List<String> headerNames) {
    }

    record SeenBatch(List<String> values, String traceId) {
    }

    static Seen seen(Tracer tracer, ConsumerRecord<?, ?> record) {
        Span span = tracer.currentSpan();
        List<String> traceparents = new ArrayList<>();
        for (Header header : record.headers().headers("traceparent")) {
            // a hostile producer may send a header without a value
            traceparents.add(header.value() != null ? new String(header.value(), StandardCharsets.UTF_8) : null);
        }
        Header tenant = record.headers().lastHeader("tenant");
        List<String> headerNames = new ArrayList<>();
        for (Header header : record.headers()) {
            headerNames.add(header.key());
        }
        return new Seen(span != null ? span.context().traceId() : null, span != null ? span.context().spanId() : null,
                MDC.get("traceId"), traceparents,
                tenant != null ? new String(tenant.value(), StandardCharsets.UTF_8) : null, record.partition(),
                headerNames);
    }

    @Bean
    RecordInterceptor<Object, Object> userRecordInterceptor(Tracer tracer) {
        return new RecordInterceptor<>() {

            @Override
            public ConsumerRecord<Object, Object> intercept(ConsumerRecord<Object, Object> record,
                    Consumer<Object, Object> consumer) {
                note("intercept", record);
                return record;
            }

            @Override
            public void afterRecord(ConsumerRecord<Object, Object> record, Consumer<Object, Object> consumer) {
                note("afterRecord", record);
            }

            private void note(String call, ConsumerRecord<Object, Object> record) {
                Span span = tracer.currentSpan();
                userInterceptorCalls.add(call + ":" + record.value() + ":" + (span != null ? span.context().traceId() : null));
            }
        };
    }

    /** Takes the listener's exception as handled: the container sees a success. */
    @Bean
    KafkaListenerErrorHandler swallowingErrorHandler() {
        return (message, exception) -> {
            swallowed.add(String.valueOf(message.getPayload()));
            return null;
        };
    }

    @Bean
    DefaultErrorHandler errorHandler(KafkaTemplate<Object, Object> template) {
        return new DefaultErrorHandler(new DeadLetterPublishingRecoverer(template), new FixedBackOff(0, 2));
    }

    /** The application's own factory: built by hand, not by Boot's configurer. */
    @Bean
    ConcurrentKafkaListenerContainerFactory<Object, Object> batchFactory(ConsumerFactory<Object, Object> consumerFactory) {
        ConcurrentKafkaListenerContainerFactory<Object, Object> factory = new ConcurrentKafkaListenerContainerFactory<>();
        factory.setConsumerFactory(consumerFactory);
        factory.setBatchListener(true);
        return factory;
    }

    /**
     * Batch listeners whose batches fail: an exception that names no record, which Spring Kafka's
     * error handler answers by retrying the whole batch in place, twice, then giving up.
     */
    @Bean
    ConcurrentKafkaListenerContainerFactory<Object, Object> retryingBatchFactory(
            ConsumerFactory<Object, Object> consumerFactory) {
        ConcurrentKafkaListenerContainerFactory<Object, Object> factory = new ConcurrentKafkaListenerContainerFactory<>();
        factory.setConsumerFactory(consumerFactory);
        factory.setBatchListener(true);
        factory.setCommonErrorHandler(new DefaultErrorHandler(
                (record, ex) -> recoveredBatches.add(record.topic()), new FixedBackOff(BATCH_RETRY_BACK_OFF_MILLIS, 2)));
        return factory;
    }

    /** Batch listeners whose failed record goes to a dead-letter topic at once. */
    @Bean
    ConcurrentKafkaListenerContainerFactory<Object, Object> deadLetteringBatchFactory(
            ConsumerFactory<Object, Object> consumerFactory, KafkaTemplate<Object, Object> template) {
        ConcurrentKafkaListenerContainerFactory<Object, Object> factory = new ConcurrentKafkaListenerContainerFactory<>();
        factory.setConsumerFactory(consumerFactory);
        factory.setBatchListener(true);
        factory.setCommonErrorHandler(new DefaultErrorHandler(new DeadLetterPublishingRecoverer(template),
                new FixedBackOff(0, 0)));
        return factory;
    }

    /** A batch listener that is not a {@code @KafkaListener} method: a container of the application's own. */
    @Bean
    ConcurrentMessageListenerContainer<Object, Object> plainBatchContainer(
            ConcurrentKafkaListenerContainerFactory<Object, Object> retryingBatchFactory, Tracer tracer) {
        ConcurrentMessageListenerContainer<Object, Object> container = retryingBatchFactory
            .createContainer(FAILING_PLAIN_BATCH);
        container.getContainerProperties().setGroupId("failing-plain-batch");
        container.setupMessageListener((BatchMessageListener<Object, Object>) records -> failBatch(tracer,
                FAILING_PLAIN_BATCH));
        return container;
    }

    /** A container bean built by hand, not by a factory: what its record listener saw, by record value. */
    @Bean
    ConcurrentMessageListenerContainer<Object, Object> handBuiltContainer(ConsumerFactory<Object, Object> consumerFactory,
            Tracer tracer) {
        ContainerProperties properties = new ContainerProperties(HAND_BUILT);
        properties.setGroupId("hand-built");
        properties.setMessageListener((MessageListener<Object, Object>) record -> seen.put("hand-built:" + record.value(),
                seen(tracer, record)));
        return new ConcurrentMessageListenerContainer<>(consumerFactory, properties);
    }

    static void failBatch(Tracer tracer, String topic) {
        Span span = tracer.currentSpan();
        failingBatchAttempts.computeIfAbsent(topic, t -> new ConcurrentLinkedQueue<>())
            .add(span != null ? span.context().traceId() : "none");
        throw new IllegalStateException("cannot process a batch of " + topic);
    }

    @Component
    static class Listeners {

        private static final Logger logger = LoggerFactory.getLogger(LISTENER_LOGGER);

        private final Tracer tracer;

        Listeners(Tracer tracer) {
            this.tracer = tracer;
        }

        @KafkaListener(topics = ORDERS, groupId = "orders", concurrency = "3")
        void onOrder(ConsumerRecord<String, String> record) {
            logger.info("received order {}", record.value());
            seen.put(record.value(), seen(tracer, record));
        }

        @KafkaListener(id = "batch", topics = BATCH, groupId = "batch", containerFactory = "batchFactory",
                autoStartup = "false")
        void onBatch(List<ConsumerRecord<String, String>> records) {
            Span span = tracer.currentSpan();
            batches.add(new SeenBatch(records.stream().map(ConsumerRecord::value).toList(),
                    span != null ? span.context().traceId() : null));
        }

        @KafkaListener(topics = FAILING_BATCH, groupId = "failing-batch", containerFactory = "retryingBatchFactory")
        void onFailingBatch(List<String> values) {
            failBatch(tracer, FAILING_BATCH);
        }

        @KafkaListener(topics = DEAD_LETTERING_BATCH, groupId = "dead-lettering-batch",
                containerFactory = "deadLetteringBatchFactory")
        void onDeadLetteringBatch(List<ConsumerRecord<String, String>> records) {
            for (ConsumerRecord<String, String> record : records) {
                if (record.value().startsWith("bad")) {
                    throw new BatchListenerFailedException("cannot process " + record.value(), record);
                }
            }
        }

        @KafkaListener(topics = DEAD_LETTERING_BATCH_DLT, groupId = "dead-lettering-batch-dlt")
        void onBatchDeadLetter(ConsumerRecord<String, String> record) {
            deadLetters.put(record.value(), seen(tracer, record));
        }

        @KafkaListener(topics = FAILING, groupId = "failing")
        void onFailing(String value) {
            failingAttempts.incrementAndGet();
            throw new IllegalStateException("cannot process " + value);
        }

        @KafkaListener(topics = SWALLOWED, groupId = "swallowed", errorHandler = "swallowingErrorHandler")
        void onSwallowed(String value) {
            throw new IllegalStateException("cannot process " + value);
        }

        @KafkaListener(topics = FAILING_DLT, groupId = "failing-dlt")
        void onDeadLetter(ConsumerRecord<String, String> record) {
            deadLetters.put(record.value(), seen(tracer, record));
        }

    }

    @RestController
    static class Endpoints {

        private final KafkaTemplate<String, String> template;

        Endpoints(KafkaTemplate<String, String> template) {
            this.template = template;
        }

        /** Sends from inside the reactive chain, as a WebFlux handler does. */
        @GetMapping("/send/{value}")
        Mono<String> send(@PathVariable String value) {
            return Mono.just(value)
                .flatMap(v -> Mono.fromFuture(template.send(ORDERS, v)))
                .map(result -> "sent " + value + " to partition " + result.getRecordMetadata().partition());
        }

    }

}
