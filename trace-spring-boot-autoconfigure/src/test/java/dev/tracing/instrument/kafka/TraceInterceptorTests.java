package dev.tracing.instrument.kafka;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

import dev.tracing.core.Sampler;
import dev.tracing.core.ThreadLocalCurrentTraceContext;
import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import dev.tracing.instrument.observation.InstrumentedExchanges;
import dev.tracing.propagation.CompositePropagator;
import dev.tracing.propagation.PropagationType;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.kafka.listener.BatchInterceptor;
import org.springframework.kafka.listener.KafkaBackoffException;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.listener.ListenerExecutionFailedException;
import org.springframework.kafka.listener.RecordInterceptor;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.kafka.support.micrometer.KafkaRecordReceiverContext;
import org.springframework.kafka.support.micrometer.KafkaRecordSenderContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The interceptors' and the producer's edge cases, on the real tracer and propagator: paths the
 * container or client only takes on failures, so the broker tests do not reach them reliably.
 */
class TraceInterceptorTests {

    private final List<FinishedSpan> spans = new ArrayList<>();

    private final TraceTracer tracer = Tracing.newBuilder()
        .sampler(Sampler.create(1.0, 0))
        .currentTraceContext(new ThreadLocalCurrentTraceContext(List.of(new dev.tracing.core.MdcScopeDecorator(List.of()))))
        .reporter(spans::add)
        .build();

    private final CompositePropagator propagator = CompositePropagator.builder(tracer)
                .consume(List.of(PropagationType.W3C, PropagationType.B3))
                .produce(List.of(PropagationType.W3C))
                .build();

    @AfterEach
    void noSpanLeftCurrent() {
        assertThat(tracer.currentSpan()).isNull();
    }

    @Test
    void malformedHeadersOnABatchSpendNoneOfTheRateLimit() {
        // one new trace a second, and a batch of records whose trace headers do not parse
        TraceTracer limited = Tracing.newBuilder().sampler(Sampler.create(1.0, 1)).reporter(spans::add).build();
        CompositePropagator limitedPropagator = CompositePropagator.builder(limited)
            .consume(List.of(PropagationType.W3C))
            .build();
        TraceBatchInterceptor<String, String> interceptor = new TraceBatchInterceptor<>(
                new KafkaSpanPolicy(limited, limitedPropagator, false), null);
        List<ConsumerRecord<String, String>> hostile = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            hostile.add(record("r" + i, "00-" + "zz".repeat(16) + "-00f067aa0ba902b7-01"));
        }
        @SuppressWarnings("unchecked")
        ConsumerRecords<String, String> records = records(hostile.toArray(new ConsumerRecord[0]));
        interceptor.intercept(records, null);
        interceptor.success(records, null);
        interceptor.clearThreadState((Consumer<?, ?>) null);
        // the probes that read each record's headers start before the batch span, and gave back what they
        // took: the second's one new trace is the batch's
        assertThat(spans).singleElement().satisfies(batch -> {
            assertThat(batch.getKind()).isEqualTo(Span.Kind.CONSUMER);
            assertThat(batch.getLinks()).isEmpty();
        });
    }

    @Test
    void aBatchLinksARecordThatCarriesOnlyAJaegerHeaderWhenJaegerIsConsumed() {
        CompositePropagator readsJaeger = CompositePropagator.builder(tracer)
            .consume(List.of(PropagationType.W3C, PropagationType.JAEGER))
            .produce(List.of(PropagationType.W3C))
            .build();
        TraceBatchInterceptor<String, String> interceptor = new TraceBatchInterceptor<>(
                new KafkaSpanPolicy(tracer, readsJaeger, false), null);
        ConsumerRecord<String, String> jaeger = record("j", null);
        jaeger.headers()
            .add("uber-trace-id", (traceId("3") + ":" + spanId("c3") + ":0:1").getBytes(StandardCharsets.UTF_8));

        ConsumerRecords<String, String> records = records(jaeger);
        interceptor.intercept(records, null);
        interceptor.success(records, null);
        interceptor.clearThreadState((Consumer<?, ?>) null);

        assertThat(spans).singleElement()
            .satisfies(batch -> assertThat(batch.getLinks()).extracting(Link::getTraceContext)
                .extracting(c -> c.traceId() + "/" + c.spanId())
                .containsExactly(traceId("3") + "/" + spanId("c3")));
    }

    @Test
    void batchRecordSpansAreChildrenOfEachRecordsContextAndEndWithTheBatch() {
        TraceBatchInterceptor<String, String> interceptor = new TraceBatchInterceptor<>(
                new KafkaSpanPolicy(tracer, propagator, true), null);
        ConsumerRecords<String, String> records = records(record("a", traceparent("1", "a1")),
                record("b", traceparent("2", "b2")), record("c", null));

        interceptor.intercept(records, null);
        Span current = tracer.currentSpan();
        assertThat(current).isNotNull();
        interceptor.failure(records, new IllegalStateException("batch failed"), null);
        // the container clears its thread state at the end of the poll
        interceptor.clearThreadState((Consumer<?, ?>) null);

        FinishedSpan batch = only(s -> s.getParentId() == null && s.getTraceId().equals(current.context().traceId()));
        assertThat(batch.getLinks()).extracting(Link::getTraceContext)
            .extracting(c -> c.traceId() + "/" + c.spanId())
            .containsExactly(traceId("1") + "/" + spanId("a1"), traceId("2") + "/" + spanId("b2"));
        assertThat(only(s -> s.getTraceId().equals(traceId("1"))).getParentId()).isEqualTo(spanId("a1"));
        assertThat(only(s -> s.getTraceId().equals(traceId("2"))).getParentId()).isEqualTo(spanId("b2"));
        assertThat(spans).hasSize(4).allSatisfy(span -> {
            assertThat(span.getKind()).isEqualTo(Span.Kind.CONSUMER);
            assertThat(span.getError()).hasMessage("batch failed");
        });
    }

    @Test
    void aBatchFailedAtOneRecordFailsThatRecordsSpanOnly() {
        // BatchListenerFailedException: the records before it are committed, the ones after it come again
        TraceBatchInterceptor<String, String> interceptor = new TraceBatchInterceptor<>(
                new KafkaSpanPolicy(tracer, propagator, true), null);
        ConsumerRecords<String, String> records = records(record("a", traceparent("1", "a1")),
                record("b", traceparent("2", "b2")), record("c", traceparent("3", "c3")));
        interceptor.intercept(records, null);
        String batchTrace = tracer.currentSpan().context().traceId();
        IllegalStateException cause = new IllegalStateException("bad b");
        interceptor.failure(records, new ListenerExecutionFailedException("listener failed",
                new BatchListenerFailedException("b failed", cause, 1)), null);
        interceptor.clearThreadState((Consumer<?, ?>) null);

        assertThat(only(s -> s.getTraceId().equals(traceId("1"))).getError()).isNull();
        assertThat(only(s -> s.getTraceId().equals(traceId("2"))).getError()).isSameAs(cause);
        assertThat(spans).noneMatch(s -> s.getTraceId().equals(traceId("3")));
        // the batch failed with the listener's exception, not Spring Kafka's wrappers
        assertThat(only(s -> s.getTraceId().equals(batchTrace)).getError()).isSameAs(cause);
    }

    @Test
    void aBatchFailedAtARecordNamedByItselfFailsThatRecordsSpanOnly() {
        TraceBatchInterceptor<String, String> interceptor = new TraceBatchInterceptor<>(
                new KafkaSpanPolicy(tracer, propagator, true), null);
        ConsumerRecord<String, String> a = new ConsumerRecord<>("topic", 0, 10, null, "a");
        ConsumerRecord<String, String> b = new ConsumerRecord<>("topic", 0, 11, null, "b");
        a.headers().add("traceparent", traceparent("1", "a1").getBytes(StandardCharsets.UTF_8));
        b.headers().add("traceparent", traceparent("2", "b2").getBytes(StandardCharsets.UTF_8));
        ConsumerRecords<String, String> records = records(a, b);
        interceptor.intercept(records, null);
        IllegalStateException cause = new IllegalStateException("bad b");
        interceptor.failure(records, new ListenerExecutionFailedException("listener failed",
                new BatchListenerFailedException("b failed", cause, b)), null);
        interceptor.clearThreadState((Consumer<?, ?>) null);

        assertThat(only(s -> s.getTraceId().equals(traceId("1"))).getError()).isNull();
        assertThat(only(s -> s.getTraceId().equals(traceId("2"))).getError()).isSameAs(cause);
    }

    @Test
    void aRetryTopicsBackOffSeenByAListenerObservationMakesNoSpan() {
        // a container traced through Spring Kafka's listener Observation (not a bean: no interceptor of ours)
        KafkaObservationSpanHandler handler = new KafkaObservationSpanHandler(
                new KafkaSpanPolicy(tracer, propagator, false), InstrumentedExchanges.of(false, false, true));
        ObservationRegistry registry = ObservationRegistry.create();
        registry.observationConfig().observationHandler(handler);
        ConsumerRecord<String, String> record = record("a", traceparent("1", "a1"));
        Observation observation = Observation.createNotStarted("spring.kafka.listener",
                () -> new KafkaRecordReceiverContext(record, "orders-retry", () -> null), registry).start();
        observation.error(new ListenerExecutionFailedException("not yet", new KafkaBackoffException("back off",
                new TopicPartition("topic-retry", 0), "orders-retry", System.currentTimeMillis() + 2000)));
        observation.stop();
        assertThat(spans).isEmpty();
        assertThat(tracer.openSpanCount()).isZero();
    }

    @Test
    void aFailedBatchStaysCurrentThroughTheErrorHandlerUntilItsRetry() {
        TraceBatchInterceptor<String, String> interceptor = new TraceBatchInterceptor<>(
                new KafkaSpanPolicy(tracer, propagator, false), null);
        ConsumerRecords<String, String> records = records(record("a", traceparent("1", "a1")));
        interceptor.intercept(records, null);
        String firstAttempt = tracer.currentSpan().context().spanId();
        interceptor.failure(records, new IllegalStateException("attempt failed"), null);
        // ended with the listener's failure, not after the error handler's back-off
        assertThat(spans).singleElement().satisfies(span -> {
            assertThat(span.getSpanId()).isEqualTo(firstAttempt);
            assertThat(span.getError()).hasMessage("attempt failed");
        });
        assertThat(tracer.currentSpan().context().spanId()).as("current for the error handler").isEqualTo(firstAttempt);

        interceptor.intercept(records, null);
        assertThat(spans).hasSize(1);
        assertThat(tracer.currentSpan().context().spanId()).isNotEqualTo(firstAttempt);
        interceptor.success(records, null);
        assertThat(spans).hasSize(2);
        assertThat(spans.get(1).getError()).isNull();
    }

    @Test
    void aRecordSpanEndsWithTheListenerButStaysCurrentUntilTheContainerIsDone() {
        TraceRecordInterceptor<String, String> interceptor = new TraceRecordInterceptor<>(
                new KafkaSpanPolicy(tracer, propagator, false), null);
        ConsumerRecord<String, String> record = record("a", traceparent("1", "a1"));
        interceptor.intercept(record, null);
        interceptor.failure(record, new IllegalStateException("listener failed"), null);
        assertThat(spans).singleElement().satisfies(span -> assertThat(span.getError()).hasMessage("listener failed"));
        // the error handler (back-off, dead-letter publish) runs here, still in the record's trace
        assertThat(tracer.currentSpan().context().spanId()).isEqualTo(spans.get(0).getSpanId());
        interceptor.afterRecord(record, null);
        assertThat(spans).hasSize(1);
    }

    @Test
    void insideSpringKafkasOwnListenerObservationOurScopeClosesFirst() {
        TraceRecordInterceptor<String, String> interceptor = new TraceRecordInterceptor<>(
                new KafkaSpanPolicy(tracer, propagator, false), null);
        ConsumerRecord<String, String> record = record("a", traceparent("1", "a1"));
        // the container's order when spring.kafka.listener.observation-enabled=true: the
        // observation's scope opens before interception and closes before afterRecord
        io.micrometer.tracing.Span observation = tracer.nextSpan().name("observation").start();
        try (io.micrometer.tracing.Tracer.SpanInScope scope = tracer.withSpan(observation)) {
            interceptor.intercept(record, null);
            interceptor.success(record, null);
            assertThat(tracer.currentSpan().context().spanId()).isEqualTo(observation.context().spanId());
        }
        observation.end();
        interceptor.afterRecord(record, null);
        assertThat(tracer.currentSpan()).isNull();
        assertThat(org.slf4j.MDC.get("traceId")).isNull();
    }

    @Test
    void aRecordThatFailsBeforeInterceptionStillGetsAFailedSpan() {
        TraceRecordInterceptor<String, String> interceptor = new TraceRecordInterceptor<>(
                new KafkaSpanPolicy(tracer, propagator, false), null);
        ConsumerRecord<String, String> record = record("a", traceparent("1", "a1"));
        interceptor.failure(record, new IllegalArgumentException("cannot deserialize"), null);
        assertThat(tracer.currentSpan()).isNotNull();
        interceptor.afterRecord(record, null);
        assertThat(spans).singleElement().satisfies(span -> {
            assertThat(span.getParentId()).isEqualTo(spanId("a1"));
            assertThat(span.getError()).hasMessage("cannot deserialize");
        });
    }

    @Test
    void aRecordTheApplicationsInterceptorSkipsEndsItsSpan() {
        List<String> delegateSaw = new ArrayList<>();
        RecordInterceptor<String, String> skipping = (record, consumer) -> {
            delegateSaw.add(tracer.currentSpan().context().traceId());
            return null;
        };
        TraceRecordInterceptor<String, String> interceptor = new TraceRecordInterceptor<>(
                new KafkaSpanPolicy(tracer, propagator, false), skipping);

        assertThat(interceptor.intercept(record("a", traceparent("1", "a1")), null)).isNull();
        assertThat(delegateSaw).containsExactly(traceId("1"));
        assertThat(spans).singleElement().satisfies(span -> assertThat(span.getParentId()).isEqualTo(spanId("a1")));
    }

    @Test
    void aThrowingApplicationInterceptorEndsTheAttemptsOneSpan() {
        RecordInterceptor<String, String> throwing = (record, consumer) -> {
            throw new IllegalStateException("interceptor failed");
        };
        TraceRecordInterceptor<String, String> interceptor = new TraceRecordInterceptor<>(
                new KafkaSpanPolicy(tracer, propagator, false), throwing);
        ConsumerRecord<String, String> record = record("a", null);
        IllegalStateException failure = catchThrowableOfType(IllegalStateException.class,
                () -> interceptor.intercept(record, null));
        assertThat(spans).singleElement().satisfies(span -> assertThat(span.getError()).hasMessage("interceptor failed"));
        // the container reports the failure, its error handler runs, then it is done with the record
        interceptor.failure(record, failure, null);
        assertThat(tracer.currentSpan().context().spanId()).as("current for the error handler")
            .isEqualTo(spans.get(0).getSpanId());
        interceptor.afterRecord(record, null);
        assertThat(spans).as("one span for the attempt").hasSize(1);
        assertThat(tracer.currentSpan()).isNull();
    }

    @Test
    void aRecordWithoutAnOutcomeIsEndedWhenTheContainerClearsItsThreadState() {
        TraceRecordInterceptor<String, String> interceptor = new TraceRecordInterceptor<>(
                new KafkaSpanPolicy(tracer, propagator, false), null);
        interceptor.intercept(record("a", null), null);
        assertThat(tracer.currentSpan()).isNotNull();
        interceptor.clearThreadState((Consumer<?, ?>) null);
        assertThat(spans).hasSize(1);
    }

    /**
     * A failed batch's error handler dead-letters one record while the batch's span is current: the
     * dead letter continues that record's trace (its own span with a span per record, else the
     * context its copied headers carry), linked to the batch.
     */
    @Test
    void aDeadLetterOfABatchsRecordJoinsThatRecordsTraceLinkedToTheBatch() throws Exception {
        for (boolean recordSpans : List.of(false, true)) {
            spans.clear();
            KafkaSpanPolicy policy = new KafkaSpanPolicy(tracer, propagator, recordSpans);
            TraceBatchInterceptor<String, String> interceptor = new TraceBatchInterceptor<>(policy, null);
            ConsumerRecord<String, String> first = new ConsumerRecord<>("orders", 0, 10L, null, "a");
            first.headers().add("traceparent", traceparent("1", "a1").getBytes(StandardCharsets.UTF_8));
            ConsumerRecord<String, String> failed = new ConsumerRecord<>("orders", 0, 11L, null, "b");
            failed.headers().add("traceparent", traceparent("2", "b2").getBytes(StandardCharsets.UTF_8));
            ConsumerRecords<String, String> records = new ConsumerRecords<>(
                    Map.of(new TopicPartition("orders", 0), List.of(first, failed)), Map.of());
            MockProducer<String, String> mock = new MockProducer<>(true, null, new StringSerializer(),
                    new StringSerializer());
            TraceProducer<String, String> producer = new TraceProducer<>(mock, policy);

            interceptor.intercept(records, null);
            Span batch = tracer.currentSpan();
            interceptor.failure(records, new ListenerExecutionFailedException("listener failed",
                    new BatchListenerFailedException("b failed", new IllegalStateException("bad b"), 1)), null);
            // the error handler's recoverer, with the batch's span still current: the record's headers and
            // Spring Kafka's dead-letter headers
            ProducerRecord<String, String> deadLetter = new ProducerRecord<>("orders-dlt", 0, null, "b");
            failed.headers().forEach(header -> deadLetter.headers().add(header));
            deadLetter.headers().add(KafkaHeaders.DLT_ORIGINAL_TOPIC, "orders".getBytes(StandardCharsets.UTF_8));
            deadLetter.headers().add(KafkaHeaders.DLT_ORIGINAL_PARTITION, java.nio.ByteBuffer.allocate(4).putInt(0).array());
            deadLetter.headers().add(KafkaHeaders.DLT_ORIGINAL_OFFSET, java.nio.ByteBuffer.allocate(8).putLong(11L).array());
            assertThat(producer.send(deadLetter).get()).isNotNull();
            interceptor.clearThreadState((Consumer<?, ?>) null);

            FinishedSpan send = only(s -> s.getKind() == Span.Kind.PRODUCER);
            assertThat(send.getTraceId()).as("batch-record-spans=" + recordSpans).isEqualTo(traceId("2"));
            String expectedParent = recordSpans
                    ? only(s -> s.getKind() == Span.Kind.CONSUMER && s.getTraceId().equals(traceId("2"))).getSpanId()
                    : spanId("b2");
            assertThat(send.getParentId()).isEqualTo(expectedParent);
            assertThat(send.getLinks()).extracting(link -> link.getTraceContext().spanId())
                .containsExactly(batch.context().spanId());
            assertThat(new String(mock.history().get(0).headers().lastHeader("traceparent").value(),
                    StandardCharsets.UTF_8)).contains(traceId("2") + "-" + send.getSpanId());
        }
    }

    /**
     * A record a batch listener sends is the batch's child, also one that carries dead-letter headers
     * of a record that is not the batch's (a listener replaying a dead-letter topic).
     */
    @Test
    void aRecordSentFromABatchListenerIsTheBatchsChild() throws Exception {
        KafkaSpanPolicy policy = new KafkaSpanPolicy(tracer, propagator, false);
        TraceBatchInterceptor<String, String> interceptor = new TraceBatchInterceptor<>(policy, null);
        ConsumerRecords<String, String> records = records(record("a", traceparent("1", "a1")));
        TraceProducer<String, String> producer = new TraceProducer<>(
                new MockProducer<>(true, null, new StringSerializer(), new StringSerializer()), policy);
        interceptor.intercept(records, null);
        Span batch = tracer.currentSpan();
        ProducerRecord<String, String> forwarded = new ProducerRecord<>("out", "a");
        forwarded.headers().add("traceparent", traceparent("1", "a1").getBytes(StandardCharsets.UTF_8));
        forwarded.headers().add(KafkaHeaders.DLT_ORIGINAL_TOPIC, "orders".getBytes(StandardCharsets.UTF_8));
        forwarded.headers().add(KafkaHeaders.DLT_ORIGINAL_PARTITION, java.nio.ByteBuffer.allocate(4).putInt(0).array());
        forwarded.headers().add(KafkaHeaders.DLT_ORIGINAL_OFFSET, java.nio.ByteBuffer.allocate(8).putLong(99L).array());
        assertThat(producer.send(forwarded).get()).isNotNull();
        interceptor.success(records, null);

        FinishedSpan send = only(s -> s.getKind() == Span.Kind.PRODUCER);
        assertThat(send.getTraceId()).isEqualTo(batch.context().traceId());
        assertThat(send.getParentId()).isEqualTo(batch.context().spanId());
    }

    @Test
    void aSendThatThrowsEndsItsSpanWithTheError() {
        MockProducer<String, String> mock = new MockProducer<>(true, null, new StringSerializer(), new StringSerializer());
        mock.sendException = new IllegalStateException("producer closed");
        TraceProducer<String, String> producer = new TraceProducer<>(mock, new KafkaSpanPolicy(tracer, propagator, false));
        assertThatIllegalStateException().isThrownBy(() -> producer.send(new ProducerRecord<>("t", "v")));
        assertThat(spans).singleElement().satisfies(span -> {
            assertThat(span.getKind()).isEqualTo(Span.Kind.PRODUCER);
            assertThat(span.getError()).hasMessage("producer closed");
        });
    }

    @Test
    void aRecordWithReadOnlyHeadersIsSentAsACopyCarryingThisSendsSpan() throws Exception {
        MockProducer<String, String> mock = new MockProducer<>(true, null, new StringSerializer(), new StringSerializer());
        TraceProducer<String, String> producer = new TraceProducer<>(mock, new KafkaSpanPolicy(tracer, propagator, false));
        ProducerRecord<String, String> record = new ProducerRecord<>("t", "v");
        record.headers().add("traceparent", traceparent("1", "a1").getBytes(StandardCharsets.UTF_8));
        ((org.apache.kafka.common.header.internals.RecordHeaders) record.headers()).setReadOnly();
        CompletableFuture<RecordMetadata> callback = new CompletableFuture<>();
        Future<RecordMetadata> sent = producer.send(record, (metadata, error) -> {
            assertThat(tracer.currentSpan()).as("the application's callback runs in the span").isNotNull();
            callback.complete(metadata);
        });
        assertThat(sent.get()).isNotNull();
        assertThat(callback.get()).isNotNull();
        assertThat(mock.history()).hasSize(1);
        assertThat(spans).singleElement().satisfies(span -> assertThat(span.getError()).isNull());
        assertSentAsACopyWithThisSendsTraceparent(mock, record);
    }

    @Test
    void anObservedTemplatesRecordWithReadOnlyHeadersIsSentAsACopyCarryingThisSendsSpan() throws Exception {
        MockProducer<String, String> mock = new MockProducer<>(true, null, new StringSerializer(), new StringSerializer());
        KafkaSpanPolicy policy = new KafkaSpanPolicy(tracer, propagator, false);
        TraceProducer<String, String> producer = new TraceProducer<>(mock, policy);
        ProducerRecord<String, String> record = new ProducerRecord<>("t", "v");
        record.headers().add("traceparent", traceparent("1", "a1").getBytes(StandardCharsets.UTF_8));
        ((org.apache.kafka.common.header.internals.RecordHeaders) record.headers()).setReadOnly();
        // a template with observation-enabled: its Observation's start makes the send's span
        KafkaObservationSpanHandler handler = new KafkaObservationSpanHandler(policy, null);
        KafkaRecordSenderContext observed = new KafkaRecordSenderContext(record, "template", () -> "cluster");
        handler.onStart(observed);
        assertThat(producer.send(record).get()).isNotNull();
        handler.onStop(observed);
        assertThat(spans).singleElement().satisfies(span -> assertThat(span.getKind()).isEqualTo(Span.Kind.PRODUCER));
        assertSentAsACopyWithThisSendsTraceparent(mock, record);
    }

    /**
     * Sealed by an earlier send (the producer makes them read-only), {@code record} went out as a copy whose only
     * traceparent is this send's span's, not the earlier one, and is left as it was.
     */
    private void assertSentAsACopyWithThisSendsTraceparent(MockProducer<String, String> mock,
            ProducerRecord<String, String> record) {
        List<String> sentTraceparents = new ArrayList<>();
        mock.history().get(0).headers().headers("traceparent")
            .forEach(header -> sentTraceparents.add(new String(header.value(), StandardCharsets.UTF_8)));
        assertThat(sentTraceparents).singleElement().asString().contains(spans.get(0).getSpanId());
        assertThat(record.headers().lastHeader("traceparent").value())
            .as("the application's record is left as it was").asString(StandardCharsets.UTF_8)
            .isEqualTo(traceparent("1", "a1"));
    }

    private FinishedSpan only(java.util.function.Predicate<FinishedSpan> predicate) {
        List<FinishedSpan> matching = spans.stream().filter(predicate).toList();
        assertThat(matching).hasSize(1);
        return matching.get(0);
    }

    private static String traceId(String digit) {
        return digit.repeat(32);
    }

    private static String spanId(String prefix) {
        return (prefix + "00000000000000").substring(0, 16);
    }

    private static String traceparent(String traceDigit, String spanPrefix) {
        return "00-" + traceId(traceDigit) + "-" + spanId(spanPrefix) + "-01";
    }

    private static ConsumerRecord<String, String> record(String value, String traceparent) {
        ConsumerRecord<String, String> record = new ConsumerRecord<>("topic", 0, 0, null, value);
        if (traceparent != null) {
            record.headers().add("traceparent", traceparent.getBytes(StandardCharsets.UTF_8));
        }
        return record;
    }

    @SafeVarargs
    private static ConsumerRecords<String, String> records(ConsumerRecord<String, String>... records) {
        return new ConsumerRecords<>(Map.of(new TopicPartition("topic", 0), List.of(records)), Map.of());
    }

}
