package dev.tracing.instrument.kafka;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.kafka.annotation.BackOff;
import org.springframework.kafka.annotation.EnableKafkaRetryTopic;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.annotation.RetryableTopic;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.test.context.EmbeddedKafka;

import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A record retried through a retry topic ({@code @RetryableTopic}), against a real broker: the
 * retry topic's consumer backs off by throwing until the record is due, which Spring Kafka does not
 * count as a delivery; it makes no failed span of its own.
 */
@SpringBootTest(classes = KafkaRetryTopicTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.NONE,
        properties = { "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}",
                "spring.kafka.consumer.auto-offset-reset=earliest", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0", "logging.level.org.apache.kafka=warn",
                "logging.level.kafka=warn", "logging.level.state.change.logger=warn" })
@EmbeddedKafka(partitions = 1, topics = KafkaRetryTopicTests.ORDERS)
class KafkaRetryTopicTests {

    static final String ORDERS = "retried-orders";

    @Autowired
    Tracer tracer;

    @Autowired
    KafkaTemplate<String, String> template;

    @Autowired
    InMemorySpanStore store;

    @Test
    void aRetryTopicsBackOffIsNoFailedDelivery() throws Exception {
        Span root = tracer.nextSpan().name("place order").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(root)) {
            template.send(ORDERS, "order-1").get();
        }
        finally {
            root.end();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> App.calls.get() >= 2);
        // the first delivery failed; the retry topic's delivered once it was due, and succeeded
        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, root.context().traceId(), 5);
        List<FinishedSpan> consumers = spans.stream().filter(s -> s.getKind() == Span.Kind.CONSUMER).toList();
        assertThat(consumers).extracting(FinishedSpan::getName)
            .containsExactlyInAnyOrder("process " + ORDERS, "process " + ORDERS + "-retry");
        FinishedSpan retried = TraceAssertions.only(consumers, s -> s.getName().endsWith("-retry"));
        assertThat(retried.getError()).isNull();
        assertThat(TraceAssertions.only(consumers, s -> s.getName().equals("process " + ORDERS)).getError())
            .hasMessage("first delivery fails");
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @EnableKafkaRetryTopic
    static class App {

        static final AtomicInteger calls = new AtomicInteger();

        @RetryableTopic(attempts = "2", backOff = @BackOff(delay = 2000))
        @KafkaListener(topics = ORDERS, groupId = "retried-orders")
        void onOrder(String order) {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("first delivery fails");
            }
        }

    }

}
