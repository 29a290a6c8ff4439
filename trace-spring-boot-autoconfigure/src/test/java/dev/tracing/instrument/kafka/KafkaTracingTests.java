package dev.tracing.instrument.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.HostileHeaders;
import dev.tracing.testing.LogLines;
import io.micrometer.tracing.Link;
import io.micrometer.tracing.BaggageInScope;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.SendResult;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.context.EmbeddedKafka;

import static dev.tracing.testing.TraceAssertions.assertError;
import static dev.tracing.testing.TraceAssertions.awaitTrace;
import static dev.tracing.testing.TraceAssertions.get;
import static dev.tracing.testing.TraceAssertions.only;
import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kafka tracing against a real broker (embedded, KRaft): headers on the wire, the PRODUCER to
 * CONSUMER parent chain, batch links, malformed headers, retries and the dead-letter publish,
 * and the application's own interceptor.
 */
@SpringBootTest(classes = KafkaTracingApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}",
                "spring.kafka.consumer.auto-offset-reset=earliest", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0", "trace.baggage.remote-fields=tenant",
                "logging.level.org.apache.kafka=warn", "logging.level.kafka=warn", "logging.level.state.change.logger=warn",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
@EmbeddedKafka(partitions = 3, topics = { KafkaTracingApp.ORDERS, KafkaTracingApp.BATCH, KafkaTracingApp.FAILING,
        KafkaTracingApp.FAILING_DLT, KafkaTracingApp.FAILING_BATCH, KafkaTracingApp.FAILING_PLAIN_BATCH,
        KafkaTracingApp.HAND_BUILT, KafkaTracingApp.DEAD_LETTERING_BATCH, KafkaTracingApp.DEAD_LETTERING_BATCH_DLT,
        KafkaTracingApp.SWALLOWED })
class KafkaTracingTests {

    /** How long a record may take from the send to the listener, through a real broker. */
    private static final Duration DELIVERY = Duration.ofSeconds(30);

    @LocalServerPort
    int port;

    @Autowired
    Tracer tracer;

    @Autowired
    KafkaTemplate<String, String> template;

    @Autowired
    InMemorySpanStore store;

    @Autowired
    EmbeddedKafkaBroker broker;

    @Autowired
    KafkaListenerEndpointRegistry registry;

    @Test
    void httpRequestSendAndListenerAreOneTrace() throws Exception {
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        String callerSpanId = "00f067aa0ba902b7";
        try (LogLines logs = LogLines.capture(KafkaTracingApp.LISTENER_LOGGER)) {
            assertThat(get(port, "/send/from-http", "traceparent", "00-" + traceId + "-" + callerSpanId + "-01")
                .statusCode()).isEqualTo(200);
            await().atMost(DELIVERY).until(() -> KafkaTracingApp.seen.containsKey("from-http"));

            List<FinishedSpan> spans = awaitTrace(store, traceId, 3);
            FinishedSpan server = only(spans, s -> s.getKind() == Span.Kind.SERVER);
            FinishedSpan producer = only(spans, s -> s.getKind() == Span.Kind.PRODUCER);
            FinishedSpan consumer = only(spans, s -> s.getKind() == Span.Kind.CONSUMER);
            assertThat(server.getParentId()).isEqualTo(callerSpanId);
            assertThat(producer.getParentId()).isEqualTo(server.getSpanId());
            assertThat(consumer.getParentId()).isEqualTo(producer.getSpanId());

            assertThat(producer.getName()).isEqualTo("send orders");
            assertThat(producer.getTags()).containsEntry("messaging.system", "kafka")
                .containsEntry("messaging.destination.name", "orders")
                .containsEntry("messaging.operation.type", "send")
                .containsKeys("messaging.destination.partition.id", "messaging.kafka.offset");
            assertThat(consumer.getName()).isEqualTo("process orders");
            assertThat(consumer.getTags()).containsEntry("messaging.system", "kafka")
                .containsEntry("messaging.destination.name", "orders")
                .containsEntry("messaging.consumer.group.name", "orders")
                .containsEntry("messaging.destination.partition.id",
                        producer.getTags().get("messaging.destination.partition.id"))
                .containsEntry("messaging.kafka.offset", producer.getTags().get("messaging.kafka.offset"));
            assertThat(String.join(" ", producer.getTags().values()) + String.join(" ", consumer.getTags().values()))
                .as("record values are never recorded")
                .doesNotContain("from-http");

            KafkaTracingApp.Seen seen = KafkaTracingApp.seen.get("from-http");
            assertThat(seen.traceparents()).containsExactly("00-" + traceId + "-" + producer.getSpanId() + "-01");
            assertThat(seen.traceId()).isEqualTo(traceId);
            assertThat(seen.spanId()).isEqualTo(consumer.getSpanId());
            assertThat(logs.lines()).filteredOn(line -> line.message().equals("received order from-http"))
                .singleElement()
                .satisfies(line -> {
                    assertThat(line.traceId()).isEqualTo(traceId);
                    assertThat(line.spanId()).isEqualTo(consumer.getSpanId());
                });
        }
        // the application's own interceptor still ran, inside the CONSUMER span
        assertThat(KafkaTracingApp.userInterceptorCalls).contains("intercept:from-http:" + traceId,
                "afterRecord:from-http:" + traceId);
    }

    @Test
    void everyConsumerSpanIsAChildOfItsOwnRecordsProducerSpan() throws Exception {
        int count = 1000;
        Map<String, String> rootTraceIds = new HashMap<>();
        List<CompletableFuture<SendResult<String, String>>> sends = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Span root = tracer.nextSpan().name("job").start();
            try (Tracer.SpanInScope scope = tracer.withSpan(root)) {
                sends.add(template.send(KafkaTracingApp.ORDERS, "key-" + i, "bulk-" + i));
            }
            finally {
                root.end();
            }
            rootTraceIds.put("bulk-" + i, root.context().traceId());
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        assertThat(new HashSet<>(rootTraceIds.values())).hasSize(count);
        await().atMost(DELIVERY)
            .until(() -> rootTraceIds.keySet().stream().allMatch(KafkaTracingApp.seen::containsKey));

        Set<String> partitions = new HashSet<>();
        for (Map.Entry<String, String> entry : rootTraceIds.entrySet()) {
            String traceId = entry.getValue();
            List<FinishedSpan> spans = awaitTrace(store, traceId, 3);
            FinishedSpan root = only(spans, s -> s.getParentId() == null);
            FinishedSpan producer = only(spans, s -> s.getKind() == Span.Kind.PRODUCER);
            FinishedSpan consumer = only(spans, s -> s.getKind() == Span.Kind.CONSUMER);
            assertThat(producer.getParentId()).isEqualTo(root.getSpanId());
            assertThat(consumer.getParentId()).as("consumer of %s", entry.getKey()).isEqualTo(producer.getSpanId());
            KafkaTracingApp.Seen seen = KafkaTracingApp.seen.get(entry.getKey());
            assertThat(seen.traceId()).isEqualTo(traceId);
            assertThat(seen.spanId()).isEqualTo(consumer.getSpanId());
            assertThat(seen.mdcTraceId()).isEqualTo(traceId);
            for (FinishedSpan span : List.of(producer, consumer)) {
                assertThat(span.getTags().values()).as("record keys and values are never recorded")
                    .noneMatch(value -> value.contains("key-") || value.contains("bulk-"));
            }
            partitions.add(consumer.getTags().get("messaging.destination.partition.id"));
        }
        assertThat(partitions).containsExactlyInAnyOrder("0", "1", "2");
    }

    @Test
    void userHeadersAreKeptAndOnlyOurHeaderIsReplaced() throws Exception {
        Span root = tracer.nextSpan().name("job").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(root)) {
            ProducerRecord<String, String> record = new ProducerRecord<>(KafkaTracingApp.ORDERS, "with-headers");
            record.headers().add("tenant", "acme".getBytes(StandardCharsets.UTF_8));
            record.headers()
                .add("traceparent", "00-11111111111111111111111111111111-2222222222222222-01".getBytes(StandardCharsets.UTF_8));
            template.send(record).get(10, TimeUnit.SECONDS);
        }
        finally {
            root.end();
        }
        await().atMost(DELIVERY).until(() -> KafkaTracingApp.seen.containsKey("with-headers"));
        FinishedSpan producer = only(awaitTrace(store, root.context().traceId(), 3),
                s -> s.getKind() == Span.Kind.PRODUCER);
        KafkaTracingApp.Seen seen = KafkaTracingApp.seen.get("with-headers");
        assertThat(seen.tenant()).isEqualTo("acme");
        assertThat(seen.traceparents())
            .containsExactly("00-" + root.context().traceId() + "-" + producer.getSpanId() + "-01");
    }

    @Test
    void aForwardedRecordLosesEveryUpstreamTraceHeaderNotOnlyOurs() throws Exception {
        Span root = tracer.nextSpan().name("forward").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(root)) {
            ProducerRecord<String, String> record = new ProducerRecord<>(KafkaTracingApp.ORDERS, "forwarded");
            record.headers().add("tenant", "acme".getBytes(StandardCharsets.UTF_8));
            // what an upstream B3 service left on the record this one forwards
            record.headers()
                .add("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1".getBytes(StandardCharsets.UTF_8));
            record.headers().add("X-B3-TraceId", "80f198ee56343ba864fe8b2a57d3eff7".getBytes(StandardCharsets.UTF_8));
            record.headers().add("X-B3-SpanId", "e457b5a2e4d86bd1".getBytes(StandardCharsets.UTF_8));
            record.headers().add("x-b3-sampled", "1".getBytes(StandardCharsets.UTF_8));
            record.headers()
                .add("uber-trace-id", "80f198ee56343ba864fe8b2a57d3eff7:e457b5a2e4d86bd1:0:1".getBytes(StandardCharsets.UTF_8));
            template.send(record).get(10, TimeUnit.SECONDS);
        }
        finally {
            root.end();
        }
        await().atMost(DELIVERY).until(() -> KafkaTracingApp.seen.containsKey("forwarded"));
        KafkaTracingApp.Seen seen = KafkaTracingApp.seen.get("forwarded");
        // the consumer joins the forwarding trace, whatever format it reads first
        assertThat(seen.traceId()).isEqualTo(root.context().traceId());
        assertThat(seen.tenant()).isEqualTo("acme");
        assertThat(seen.headerNames()).containsExactlyInAnyOrder("tenant", "traceparent");
    }

    @Test
    void aForwardedRecordCarriesABaggageEntrysOwnHeaderOnce() throws Exception {
        Span root = tracer.nextSpan().name("forward-baggage").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(root);
                BaggageInScope tenant = tracer.createBaggageInScope("tenant", "globex")) {
            ProducerRecord<String, String> record = new ProducerRecord<>(KafkaTracingApp.ORDERS, "forwarded-baggage");
            // the upstream record's header of the same entry
            record.headers().add("tenant", "acme".getBytes(StandardCharsets.UTF_8));
            template.send(record).get(10, TimeUnit.SECONDS);
        }
        finally {
            root.end();
        }
        await().atMost(DELIVERY).until(() -> KafkaTracingApp.seen.containsKey("forwarded-baggage"));
        KafkaTracingApp.Seen seen = KafkaTracingApp.seen.get("forwarded-baggage");
        assertThat(seen.headerNames()).containsExactlyInAnyOrder("tenant", "traceparent", "baggage");
        assertThat(seen.tenant()).isEqualTo("globex");
    }

    @Test
    void malformedOrMissingTraceHeadersStartANewTrace() throws Exception {
        String malformedTraceId = "0af7651916cd43dd8448eb211c80319c";
        // a plain client, not from Spring's factory, so the headers reach the broker as written
        try (KafkaProducer<String, String> plain = new KafkaProducer<>(plainProducerConfig())) {
            ProducerRecord<String, String> malformed = new ProducerRecord<>(KafkaTracingApp.ORDERS, "malformed");
            malformed.headers()
                .add("traceparent", ("00-" + malformedTraceId + "-zz67aa0ba902b7-01").getBytes(StandardCharsets.UTF_8));
            plain.send(malformed).get(10, TimeUnit.SECONDS);
            plain.send(new ProducerRecord<>(KafkaTracingApp.ORDERS, "no-headers")).get(10, TimeUnit.SECONDS);
        }
        await().atMost(DELIVERY)
            .until(() -> KafkaTracingApp.seen.containsKey("malformed") && KafkaTracingApp.seen.containsKey("no-headers"));
        for (String value : List.of("malformed", "no-headers")) {
            KafkaTracingApp.Seen seen = KafkaTracingApp.seen.get(value);
            assertThat(seen.traceId()).as(value).isNotNull().isNotEqualTo(malformedTraceId);
            FinishedSpan consumer = awaitTrace(store, seen.traceId(), 1).get(0);
            assertThat(consumer.getKind()).isEqualTo(Span.Kind.CONSUMER);
            assertThat(consumer.getParentId()).isNull();
            assertThat(consumer.getSpanId()).isEqualTo(seen.spanId());
        }
        assertThat(store.trace(malformedTraceId)).isEmpty();
    }

    @Test
    void aRecordWithB3MultiHeadersSpelledAsBraveAndOpenTelemetryWriteThemContinuesTheirTrace() throws Exception {
        String traceId = "463ac35c9f6413ad48485a3953bb6124";
        String spanId = "a2fb4a1d1a96d312";
        try (KafkaProducer<String, String> plain = new KafkaProducer<>(plainProducerConfig())) {
            ProducerRecord<String, String> record = new ProducerRecord<>(KafkaTracingApp.ORDERS, "b3-multi-spelled");
            record.headers().add("X-B3-TraceId", traceId.getBytes(StandardCharsets.UTF_8));
            record.headers().add("X-B3-SpanId", spanId.getBytes(StandardCharsets.UTF_8));
            record.headers().add("X-B3-Sampled", "1".getBytes(StandardCharsets.UTF_8));
            plain.send(record).get(10, TimeUnit.SECONDS);
        }
        await().atMost(DELIVERY).until(() -> KafkaTracingApp.seen.containsKey("b3-multi-spelled"));
        KafkaTracingApp.Seen seen = KafkaTracingApp.seen.get("b3-multi-spelled");
        assertThat(seen.traceId()).isEqualTo(traceId);
        FinishedSpan consumer = awaitTrace(store, traceId, 1).get(0);
        assertThat(consumer.getKind()).isEqualTo(Span.Kind.CONSUMER);
        assertThat(consumer.getParentId()).isEqualTo(spanId);
    }

    @Test
    void recordsWithHostileTraceHeadersAreConsumedEachUnderAFreshTrace() throws Exception {
        Random random = new Random(20261121L);
        int count = 200;
        try (KafkaProducer<String, String> plain = new KafkaProducer<>(plainProducerConfig())) {
            List<java.util.concurrent.Future<?>> sends = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                ProducerRecord<String, String> record = new ProducerRecord<>(KafkaTracingApp.ORDERS, "hostile-" + i);
                String[] headers = HostileHeaders.of(random);
                for (int h = 0; h < headers.length; h += 2) {
                    record.headers().add(headers[h], headers[h + 1].getBytes(StandardCharsets.UTF_8));
                }
                switch (i % 4) {
                    // bytes a header may carry that no text header can: none at all, and invalid UTF-8
                    case 0 -> record.headers().add("traceparent", null);
                    case 1 -> record.headers().add("tracestate", new byte[] { (byte) 0xff, (byte) 0xfe, 0 });
                    case 2 -> record.headers().add("b3", new byte[0]);
                    default -> {
                    }
                }
                sends.add(plain.send(record));
            }
            for (java.util.concurrent.Future<?> send : sends) {
                send.get(10, TimeUnit.SECONDS);
            }
        }
        await().atMost(DELIVERY).until(() -> java.util.stream.IntStream.range(0, count)
            .allMatch(i -> KafkaTracingApp.seen.containsKey("hostile-" + i)));

        Set<String> traceIds = new HashSet<>();
        for (int i = 0; i < count; i++) {
            KafkaTracingApp.Seen seen = KafkaTracingApp.seen.get("hostile-" + i);
            assertThat(seen.traceId()).as("record %d", i).isNotNull().isNotEqualTo(HostileHeaders.TRACE_ID);
            assertThat(seen.mdcTraceId()).as("record %d logs under its trace", i).isEqualTo(seen.traceId());
            assertThat(traceIds.add(seen.traceId())).as("a fresh trace for record %d", i).isTrue();
            FinishedSpan consumer = awaitTrace(store, seen.traceId(), 1).get(0);
            assertThat(consumer.getKind()).isEqualTo(Span.Kind.CONSUMER);
            assertThat(consumer.getParentId()).as("record %d", i).isNull();
        }
        assertThat(store.trace(HostileHeaders.TRACE_ID)).isEmpty();
    }

    /** Sends {@code value} to {@code topic} in a root span of its own, once the broker acknowledged it. */
    private Span sendInARootSpan(String topic, String value) throws Exception {
        Span root = tracer.nextSpan().name("job").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(root)) {
            template.send(topic, value).get(10, TimeUnit.SECONDS);
        }
        finally {
            root.end();
        }
        return root;
    }

    private Map<String, Object> plainProducerConfig() {
        return Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    }

    @Test
    void batchSpanLinksToEveryRecordsProducerContext() throws Exception {
        Map<String, String> producerContexts = new HashMap<>();
        List<CompletableFuture<SendResult<String, String>>> sends = new ArrayList<>();
        List<Span> roots = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Span root = tracer.nextSpan().name("job").start();
            try (Tracer.SpanInScope scope = tracer.withSpan(root)) {
                sends.add(template.send(KafkaTracingApp.BATCH, "key-" + i, "batch-" + i));
            }
            finally {
                root.end();
            }
            roots.add(root);
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < roots.size(); i++) {
            FinishedSpan producer = only(awaitTrace(store, roots.get(i).context().traceId(), 2),
                    s -> s.getKind() == Span.Kind.PRODUCER);
            producerContexts.put("batch-" + i, producer.getTraceId() + "/" + producer.getSpanId());
        }
        registry.getListenerContainer("batch").start();
        await().atMost(DELIVERY).until(() -> KafkaTracingApp.batches.stream().mapToInt(b -> b.values().size()).sum() == 12);

        for (KafkaTracingApp.SeenBatch batch : KafkaTracingApp.batches) {
            FinishedSpan span = awaitTrace(store, batch.traceId(), 1).get(0);
            assertThat(span.getKind()).isEqualTo(Span.Kind.CONSUMER);
            assertThat(span.getParentId()).isNull();
            assertThat(span.getName()).isEqualTo("process batch-orders");
            assertThat(span.getTags()).containsEntry("messaging.batch.message_count",
                    String.valueOf(batch.values().size()));
            List<String> links = span.getLinks()
                .stream()
                .map(Link::getTraceContext)
                .map(context -> context.traceId() + "/" + context.spanId())
                .toList();
            assertThat(links).containsExactlyInAnyOrderElementsOf(
                    batch.values().stream().map(producerContexts::get).toList());
        }
    }

    /**
     * A batch that fails at one record (by record): the error handler dead-letters it while the
     * batch's span is current, but the dead letter joins the record's own trace, linked to the batch.
     */
    @Test
    void aBatchsDeadLetterJoinsItsRecordsTraceNotTheBatchs() throws Exception {
        Span root = sendInARootSpan(KafkaTracingApp.DEAD_LETTERING_BATCH, "bad-apple");
        await().atMost(DELIVERY).until(() -> KafkaTracingApp.deadLetters.containsKey("bad-apple"));

        String traceId = root.context().traceId();
        // root, send, the dead letter's send and its consumer; the batch is a trace of its own
        List<FinishedSpan> spans = awaitTrace(store, traceId, 4);
        FinishedSpan send = only(spans, s -> ("send " + KafkaTracingApp.DEAD_LETTERING_BATCH).equals(s.getName()));
        FinishedSpan deadLetterSend = only(spans,
                s -> ("send " + KafkaTracingApp.DEAD_LETTERING_BATCH_DLT).equals(s.getName()));
        assertThat(deadLetterSend.getParentId()).as("a child of the record's own context").isEqualTo(send.getSpanId());
        assertThat(deadLetterSend.getLinks()).singleElement().satisfies(link -> {
            List<FinishedSpan> batch = store.trace(link.getTraceContext().traceId());
            assertThat(batch).singleElement().satisfies(span -> {
                assertThat(span.getName()).isEqualTo("process " + KafkaTracingApp.DEAD_LETTERING_BATCH);
                assertThat(span.getSpanId()).isEqualTo(link.getTraceContext().spanId());
            });
        });
        FinishedSpan deadLetterConsumer = only(spans,
                s -> ("process " + KafkaTracingApp.DEAD_LETTERING_BATCH_DLT).equals(s.getName()));
        assertThat(deadLetterConsumer.getParentId()).isEqualTo(deadLetterSend.getSpanId());
        assertThat(KafkaTracingApp.deadLetters.get("bad-apple").traceId()).isEqualTo(traceId);
    }

    @Test
    void eachDeliveryAttemptIsItsOwnFailedSpanAndTheDeadLetterJoinsTheTrace() throws Exception {
        Span root = sendInARootSpan(KafkaTracingApp.FAILING, "poison");
        await().atMost(DELIVERY).until(() -> KafkaTracingApp.deadLetters.containsKey("poison"));
        assertThat(KafkaTracingApp.failingAttempts.get()).isEqualTo(3);

        String traceId = root.context().traceId();
        // root, send, 3 attempts, the dead-letter send and its consumer
        List<FinishedSpan> spans = awaitTrace(store, traceId, 7);
        FinishedSpan send = only(spans, s -> "send failing".equals(s.getName()));
        List<FinishedSpan> attempts = spans.stream().filter(s -> "process failing".equals(s.getName())).toList();
        assertThat(attempts).hasSize(3).allSatisfy(attempt -> {
            assertThat(attempt.getParentId()).isEqualTo(send.getSpanId());
            assertError(attempt, IllegalStateException.class).hasMessage("cannot process poison");
        });
        assertThat(attempts.stream().map(FinishedSpan::getSpanId).distinct()).hasSize(3);
        FinishedSpan deadLetterSend = only(spans, s -> "send failing-dlt".equals(s.getName()));
        FinishedSpan lastAttempt = attempts.stream()
            .max(java.util.Comparator.comparing(FinishedSpan::getStartTimestamp))
            .orElseThrow();
        assertThat(deadLetterSend.getParentId()).as("the dead letter is sent by the last attempt")
            .isEqualTo(lastAttempt.getSpanId());
        FinishedSpan deadLetterConsumer = only(spans, s -> "process failing-dlt".equals(s.getName()));
        assertThat(deadLetterConsumer.getParentId()).isEqualTo(deadLetterSend.getSpanId());
        assertThat(KafkaTracingApp.deadLetters.get("poison").traceparents())
            .containsExactly("00-" + traceId + "-" + deadLetterSend.getSpanId() + "-01");
    }

    @Test
    void aListenerExceptionItsErrorHandlerSwallowedIsStillTheConsumerSpansError() throws Exception {
        Span root = sendInARootSpan(KafkaTracingApp.SWALLOWED, "handled");
        await().atMost(DELIVERY).until(() -> KafkaTracingApp.swallowed.contains("handled"));
        List<FinishedSpan> spans = awaitTrace(store, root.context().traceId(), 3);
        FinishedSpan process = only(spans, s -> "process swallowed".equals(s.getName()));
        assertThat(process.getParentId()).isEqualTo(only(spans, s -> s.getKind() == Span.Kind.PRODUCER).getSpanId());
        assertError(process, IllegalStateException.class).hasMessage("cannot process handled");
    }

    @Test
    void aListenerContainerBeanBuiltByHandTracesItsRecords() throws Exception {
        Span root = sendInARootSpan(KafkaTracingApp.HAND_BUILT, "by-hand");
        await().atMost(DELIVERY).until(() -> KafkaTracingApp.seen.containsKey("hand-built:by-hand"));
        KafkaTracingApp.Seen seen = KafkaTracingApp.seen.get("hand-built:by-hand");
        String traceId = root.context().traceId();
        assertThat(seen.traceId()).isEqualTo(traceId);
        assertThat(seen.mdcTraceId()).isEqualTo(traceId);
        List<FinishedSpan> spans = awaitTrace(store, traceId, 3);
        FinishedSpan send = only(spans, s -> s.getKind() == Span.Kind.PRODUCER);
        FinishedSpan process = only(spans, s -> s.getKind() == Span.Kind.CONSUMER);
        assertThat(process.getParentId()).isEqualTo(send.getSpanId());
        assertThat(process.getSpanId()).isEqualTo(seen.spanId());
    }

    @Test
    void eachAttemptOfABatchRetriedInPlaceIsItsOwnFailedSpanEndedWhenTheListenerThrew() throws Exception {
        // an exception that names no record: the error handler calls the listener again itself, twice
        for (String topic : List.of(KafkaTracingApp.FAILING_BATCH, KafkaTracingApp.FAILING_PLAIN_BATCH)) {
            template.send(topic, "poison").get(10, TimeUnit.SECONDS);
        }
        for (String topic : List.of(KafkaTracingApp.FAILING_BATCH, KafkaTracingApp.FAILING_PLAIN_BATCH)) {
            assertThat(failedBatchAttempts(topic)).as(topic).hasSize(3).allSatisfy(attempt -> {
                assertError(attempt, IllegalStateException.class).hasMessage("cannot process a batch of " + topic);
                assertThat(Duration.between(attempt.getStartTimestamp(), attempt.getEndTimestamp()))
                    .as("the listener's time, not the back-off after it")
                    .isLessThan(Duration.ofMillis(KafkaTracingApp.BATCH_RETRY_BACK_OFF_MILLIS));
            });
        }
    }

    /** The spans of the three attempts at a batch of {@code topic}, in their order. */
    private List<FinishedSpan> failedBatchAttempts(String topic) {
        await().atMost(DELIVERY).until(() -> KafkaTracingApp.recoveredBatches.contains(topic));
        List<String> traces = List.copyOf(KafkaTracingApp.failingBatchAttempts.get(topic));
        assertThat(traces).hasSize(3).doesNotHaveDuplicates().doesNotContain("none");
        List<FinishedSpan> attempts = new ArrayList<>();
        for (String trace : traces) {
            attempts.add(only(awaitTrace(store, trace, 1), s -> s.getKind() == Span.Kind.CONSUMER));
        }
        return attempts;
    }

}
