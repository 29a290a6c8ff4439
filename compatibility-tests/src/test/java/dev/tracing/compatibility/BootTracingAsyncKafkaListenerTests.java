package dev.tracing.compatibility;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.tracing.export.InMemorySpanStore;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.messaging.handler.annotation.SendTo;

import static dev.tracing.compatibility.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An async {@code @KafkaListener} (returning a {@code CompletableFuture} that completes on another
 * thread) with Spring Kafka's listener observations on and Spring Boot's tracing module on the
 * classpath, which asks its group of tracing handlers again at every Observation event, also on
 * the thread that completes the result: the CONSUMER span lasts until the result completes, and
 * the reply Spring Kafka sends then is in the record's trace, a child of that span.
 */
@SpringBootTest(classes = BootTracingAsyncKafkaListenerTests.AsyncApp.class,
        webEnvironment = SpringBootTest.WebEnvironment.NONE,
        properties = { "spring.application.name=compat-async", "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}",
                "spring.kafka.consumer.auto-offset-reset=earliest", "spring.kafka.template.observation-enabled=true",
                "spring.kafka.listener.observation-enabled=true", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0", "logging.level.org.apache.kafka=warn",
                "logging.level.kafka=warn", "logging.level.state.change.logger=warn" })
@EmbeddedKafka(partitions = 1, topics = { BootTracingAsyncKafkaListenerTests.REQUESTS,
        BootTracingAsyncKafkaListenerTests.REPLIES })
class BootTracingAsyncKafkaListenerTests {

    static final String REQUESTS = "async-requests";

    static final String REPLIES = "async-replies";

    @Autowired
    Tracer tracer;

    @Autowired
    KafkaTemplate<String, String> template;

    @Autowired
    InMemorySpanStore store;

    @Test
    void theConsumerSpanLastsUntilTheResultAndTheReplyJoinsTheTrace() throws Exception {
        Span caller = tracer.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(caller)) {
            template.send(REQUESTS, "order").get(30, TimeUnit.SECONDS);
        }
        finally {
            caller.end();
        }
        String traceId = caller.context().traceId();
        // the reply's PRODUCER span ends when the broker acknowledges the send, which may come after the reply
        // was consumed: wait for both
        await().atMost(Duration.ofSeconds(30))
            .until(() -> store.trace(traceId).stream()
                .filter(span -> span.getKind() == Span.Kind.CONSUMER && ("process " + REPLIES).equals(span.getName())
                        || span.getKind() == Span.Kind.PRODUCER && ("send " + REPLIES).equals(span.getName()))
                .count() == 2);
        List<FinishedSpan> spans = store.trace(traceId);
        FinishedSpan request = one(spans, Span.Kind.CONSUMER, "process " + REQUESTS);
        FinishedSpan reply = one(spans, Span.Kind.PRODUCER, "send " + REPLIES);
        assertThat(Duration.between(request.getStartTimestamp(), request.getEndTimestamp()))
            .as("the consumer span covers the async work").isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(reply.getParentId()).as("the reply is sent inside the consumer span").isEqualTo(request.getSpanId());
        assertThat(one(spans, Span.Kind.CONSUMER, "process " + REPLIES).getParentId()).isEqualTo(reply.getSpanId());
    }

    private static FinishedSpan one(List<FinishedSpan> spans, Span.Kind kind, String name) {
        List<FinishedSpan> matching = spans.stream()
            .filter(span -> span.getKind() == kind && name.equals(span.getName()))
            .toList();
        assertThat(matching).as(kind + " " + name + " in " + spans).hasSize(1);
        return matching.get(0);
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class AsyncApp {

        @Bean
        Listeners listeners() {
            return new Listeners();
        }

        static class Listeners {

            @KafkaListener(topics = REQUESTS, groupId = "async")
            @SendTo(REPLIES)
            CompletableFuture<String> onRequest(String order) {
                return CompletableFuture.supplyAsync(() -> "done " + order,
                        CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS));
            }

            @KafkaListener(topics = REPLIES, groupId = "replies")
            void onReply(String reply) {
            }

        }

    }

}
