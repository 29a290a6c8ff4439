package dev.tracing.instrument.kafka;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.tracing.export.InMemorySpanStore;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import kafka.server.BrokerServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.SendResult;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static dev.tracing.testing.TraceAssertions.awaitTrace;
import static dev.tracing.testing.TraceAssertions.only;
import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The broker goes away in the middle of sends and comes back on the same port: the producer
 * holds and retries the records it had not delivered yet (they linger in its buffer when the
 * broker goes down), and every record that is delivered carries exactly the trace header of its
 * own PRODUCER span, whose CONSUMER span is its child.
 */
@SpringBootTest(classes = KafkaTracingApp.class, webEnvironment = SpringBootTest.WebEnvironment.NONE,
        properties = { "spring.kafka.consumer.auto-offset-reset=earliest", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0",
                "spring.kafka.producer.properties.linger.ms=1000",
                "logging.level.org.apache.kafka=off", "logging.level.kafka=off", "logging.level.state.change.logger=off",
                "logging.level.org.springframework.kafka=off",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class KafkaBrokerRestartTests {

    static final EmbeddedKafkaKraftBroker broker = startBroker();

    static final int PER_PHASE = 100;

    @Autowired
    Tracer tracer;

    @Autowired
    KafkaTemplate<String, String> template;

    @Autowired
    InMemorySpanStore store;

    @DynamicPropertySource
    static void brokers(DynamicPropertyRegistry registry) {
        registry.add("spring.kafka.bootstrap-servers", broker::getBrokersAsString);
    }

    @AfterAll
    static void stopBroker() {
        broker.destroy();
    }

    @Test
    void recordsDeliveredAcrossABrokerRestartKeepTheirOwnTraceHeaders() throws Exception {
        Map<String, Span> roots = new LinkedHashMap<>();
        List<CompletableFuture<SendResult<String, String>>> sends = new ArrayList<>();
        send("before", roots, sends);
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        // these wait in the producer's buffer (linger) while the broker goes down, and are retried
        send("during", roots, sends);
        for (BrokerServer server : broker.getCluster().brokers().values()) {
            server.shutdown();
            server.awaitShutdown();
        }
        for (BrokerServer server : broker.getCluster().brokers().values()) {
            server.startup();
        }
        send("after", roots, sends);
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);

        await().atMost(Duration.ofSeconds(90))
            .until(() -> roots.keySet().stream().allMatch(KafkaTracingApp.seen::containsKey));
        for (Map.Entry<String, Span> entry : roots.entrySet()) {
            String traceId = entry.getValue().context().traceId();
            List<FinishedSpan> spans = awaitTrace(store, traceId, 3);
            FinishedSpan producer = only(spans, span -> span.getKind() == Span.Kind.PRODUCER);
            FinishedSpan consumer = only(spans, span -> span.getKind() == Span.Kind.CONSUMER);
            assertThat(producer.getParentId()).isEqualTo(entry.getValue().context().spanId());
            assertThat(consumer.getParentId()).as(entry.getKey()).isEqualTo(producer.getSpanId());
            KafkaTracingApp.Seen seen = KafkaTracingApp.seen.get(entry.getKey());
            assertThat(seen.traceparents()).as(entry.getKey())
                .containsExactly("00-" + traceId + "-" + producer.getSpanId() + "-01");
            assertThat(seen.traceId()).isEqualTo(traceId);
        }
    }

    private void send(String phase, Map<String, Span> roots, List<CompletableFuture<SendResult<String, String>>> sends) {
        for (int i = 0; i < PER_PHASE; i++) {
            String value = "restart-" + phase + "-" + i;
            Span root = tracer.nextSpan().name("job").start();
            try (Tracer.SpanInScope scope = tracer.withSpan(root)) {
                sends.add(template.send(KafkaTracingApp.ORDERS, value));
            }
            finally {
                root.end();
            }
            roots.put(value, root);
        }
    }

    private static EmbeddedKafkaKraftBroker startBroker() {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        catch (java.io.IOException ex) {
            throw new IllegalStateException(ex);
        }
        // a fixed port, so the clients find the broker again after the restart
        EmbeddedKafkaKraftBroker kafka = new EmbeddedKafkaKraftBroker(1, 1, KafkaTracingApp.ORDERS,
                KafkaTracingApp.BATCH, KafkaTracingApp.FAILING, KafkaTracingApp.FAILING_DLT);
        kafka.kafkaPorts(port);
        // not the default system property, which the other Kafka tests' embedded broker sets and reads
        kafka.brokerListProperty("dev.tracing.restart-test.brokers");
        kafka.afterPropertiesSet();
        return kafka;
    }

}
