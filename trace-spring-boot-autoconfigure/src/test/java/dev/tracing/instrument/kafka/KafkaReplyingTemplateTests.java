package dev.tracing.instrument.kafka;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.LogLines;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.requestreply.ReplyingKafkaTemplate;
import org.springframework.kafka.requestreply.RequestReplyFuture;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.messaging.handler.annotation.SendTo;
import org.springframework.test.context.TestPropertySource;

import static dev.tracing.testing.TraceAssertions.awaitSpans;
import static dev.tracing.testing.TraceAssertions.only;
import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Request and reply through a {@code ReplyingKafkaTemplate} against a real broker (embedded,
 * KRaft): the reply is received in the request's trace, a CONSUMER child of the reply's producer
 * span, and what the caller chained to the reply's future runs in it, with its log lines.
 */
@SpringBootTest(classes = KafkaReplyingTemplateTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.NONE,
        properties = { "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}",
                "spring.kafka.consumer.auto-offset-reset=earliest", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0", "logging.level.org.apache.kafka=warn",
                "logging.level.kafka=warn", "logging.level.state.change.logger=warn" })
@EmbeddedKafka(partitions = 1, topics = { KafkaReplyingTemplateTests.REQUESTS, KafkaReplyingTemplateTests.REPLIES })
class KafkaReplyingTemplateTests {

    static final String REQUESTS = "reply-requests";

    static final String REPLIES = "reply-replies";

    static final String LOGGER = "kafka-reply-callback";

    private static final Duration DELIVERY = Duration.ofSeconds(30);

    @Autowired
    Tracer tracer;

    @Autowired
    ReplyingKafkaTemplate<String, String, String> replying;

    @Autowired
    InMemorySpanStore store;

    @Test
    void theReplyAndTheCallbacksOnItsFutureAreInTheRequestsTrace() throws Exception {
        requestAndReply(tracer, replying, store, "ping");
    }

    /** With a span per record of a batch, the reply's own is made current: no reply gets two. */
    @Nested
    @TestPropertySource(properties = "trace.kafka.batch-record-spans=true")
    class WithBatchRecordSpans {

        @Autowired
        Tracer tracer;

        @Autowired
        ReplyingKafkaTemplate<String, String, String> replying;

        @Autowired
        InMemorySpanStore store;

        @Test
        void theReplyAndTheCallbacksOnItsFutureAreInTheRequestsTrace() throws Exception {
            requestAndReply(tracer, replying, store, "pong");
        }

    }

    private static void requestAndReply(Tracer tracer, ReplyingKafkaTemplate<String, String, String> replying,
            InMemorySpanStore store, String value) throws Exception {
        assertThat(replying.waitForAssignment(DELIVERY)).isTrue();
        Logger logger = LoggerFactory.getLogger(LOGGER);
        try (LogLines logs = LogLines.capture(LOGGER)) {
            Span caller = tracer.nextSpan().name("caller").start();
            String[] seen = new String[2];
            RequestReplyFuture<String, String, String> future;
            try (Tracer.SpanInScope scope = tracer.withSpan(caller)) {
                future = replying.sendAndReceive(new ProducerRecord<>(REQUESTS, value));
            }
            finally {
                caller.end();
            }
            ConsumerRecord<String, String> reply = future.thenApply(record -> {
                Span current = tracer.currentSpan();
                seen[0] = current != null ? current.context().traceId() : null;
                seen[1] = current != null ? current.context().spanId() : null;
                logger.info("reply {}", record.value());
                return record;
            }).get(DELIVERY.toSeconds(), TimeUnit.SECONDS);
            assertThat(reply.value()).isEqualTo(value.toUpperCase());

            String traceId = caller.context().traceId();
            // the caller, the request's send, the replier's receive, the reply's send and its receive
            List<FinishedSpan> spans = awaitSpans("spans of trace " + traceId, DELIVERY, 5, () -> store.trace(traceId));
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> store.trace(traceId).size() == 5);
            FinishedSpan replySend = only(spans,
                    span -> span.getKind() == Span.Kind.PRODUCER && ("send " + REPLIES).equals(span.getName()));
            FinishedSpan replyReceive = only(spans,
                    span -> span.getKind() == Span.Kind.CONSUMER && ("process " + REPLIES).equals(span.getName()));
            assertThat(replyReceive.getParentId()).isEqualTo(replySend.getSpanId());
            assertThat(seen).containsExactly(traceId, replyReceive.getSpanId());
            assertThat(logs.lines()).filteredOn(line -> line.message().equals("reply " + value.toUpperCase()))
                .singleElement()
                .satisfies(line -> {
                    assertThat(line.traceId()).isEqualTo(traceId);
                    assertThat(line.spanId()).isEqualTo(replyReceive.getSpanId());
                });
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        /** The replier's (Boot's listener factory sends replies with it): Boot backs off from its own beside the replying one. */
        @Bean
        KafkaTemplate<Object, Object> kafkaTemplate(ProducerFactory<Object, Object> producers) {
            return new KafkaTemplate<>(producers);
        }

        @Bean
        ConcurrentMessageListenerContainer<String, String> replyContainer(
                ConcurrentKafkaListenerContainerFactory<String, String> factory) {
            ConcurrentMessageListenerContainer<String, String> container = factory.createContainer(REPLIES);
            container.getContainerProperties().setGroupId("reply-callers");
            container.setAutoStartup(false);
            return container;
        }

        @Bean
        ReplyingKafkaTemplate<String, String, String> replyingTemplate(ProducerFactory<String, String> producers,
                ConcurrentMessageListenerContainer<String, String> replyContainer) {
            return new ReplyingKafkaTemplate<>(producers, replyContainer);
        }

        @Bean
        Replier replier() {
            return new Replier();
        }

        static class Replier {

            @KafkaListener(topics = REQUESTS, groupId = "repliers")
            @SendTo(REPLIES)
            String reply(String request) {
                return request.toUpperCase();
            }

        }

    }

}
