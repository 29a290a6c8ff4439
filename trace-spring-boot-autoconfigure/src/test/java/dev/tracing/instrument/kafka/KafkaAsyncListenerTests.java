package dev.tracing.instrument.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.LogLines;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.util.backoff.FixedBackOff;

import static dev.tracing.testing.TraceAssertions.assertError;
import static dev.tracing.testing.TraceAssertions.awaitSpans;
import static dev.tracing.testing.TraceAssertions.only;
import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Listeners that return a {@code CompletableFuture} or a {@code Mono}, against a real broker
 * (embedded, KRaft): the CONSUMER span lasts until the result completes, carries its error, and
 * is the parent of what the async part does.
 */
@SpringBootTest(classes = KafkaAsyncListenerTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.NONE,
        properties = { "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}",
                "spring.kafka.consumer.auto-offset-reset=earliest", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0", "trace.reactor.context-propagation=auto",
                "logging.level.org.apache.kafka=warn", "logging.level.kafka=warn",
                "logging.level.state.change.logger=warn" })
@EmbeddedKafka(partitions = 1, topics = { KafkaAsyncListenerTests.FUTURE, KafkaAsyncListenerTests.FAILING_FUTURE,
        KafkaAsyncListenerTests.MONO, KafkaAsyncListenerTests.OUT, KafkaAsyncListenerTests.ERROR })
class KafkaAsyncListenerTests {

    static final String FUTURE = "async-future";

    static final String FAILING_FUTURE = "async-failing-future";

    static final String MONO = "async-mono";

    static final String OUT = "async-out";

    /** A listener that throws an Error, which stops its container. */
    static final String ERROR = "listener-error";

    static final String LOGGER = "kafka-async-listener";

    /** How long the async part of each listener takes, after the method returned. */
    static final Duration WORK = Duration.ofMillis(300);

    private static final Duration DELIVERY = Duration.ofSeconds(30);

    @Autowired
    Tracer tracer;

    @Autowired
    KafkaTemplate<String, String> template;

    @Autowired
    InMemorySpanStore store;

    @Test
    void aFutureCompletedLaterOnAnotherThreadEndsTheSpanAndParentsTheWorkInside() throws Exception {
        String traceId = sendInASpan(FUTURE, "future");
        await().atMost(DELIVERY).until(() -> App.done.containsKey("future"));

        // the caller, the send, the listener and the span started in its async part
        List<FinishedSpan> spans = awaitTrace(traceId, 4);
        FinishedSpan producer = only(spans, span -> span.getKind() == Span.Kind.PRODUCER);
        FinishedSpan consumer = only(spans, span -> span.getKind() == Span.Kind.CONSUMER);
        FinishedSpan work = only(spans, span -> "async work".equals(span.getName()));
        assertThat(consumer.getName()).isEqualTo("process " + FUTURE);
        assertThat(consumer.getParentId()).isEqualTo(producer.getSpanId());
        assertThat(consumer.getError()).isNull();
        assertThat(duration(consumer)).isGreaterThanOrEqualTo(WORK);
        assertThat(work.getParentId()).isEqualTo(consumer.getSpanId());
        assertThat(consumer.getEndTimestamp()).isAfterOrEqualTo(work.getEndTimestamp());
        assertThat(App.done.get("future")).as("the work ran on another thread")
            .isNotEqualTo(App.listenerThreads.get("future"));
    }

    @Test
    void aFutureCompletedExceptionallyMarksTheSpanWithItsError() throws Exception {
        String traceId = sendInASpan(FAILING_FUTURE, "failing");
        await().atMost(DELIVERY).until(() -> App.done.containsKey("failing"));

        List<FinishedSpan> spans = awaitTrace(traceId, 3);
        FinishedSpan consumer = only(spans, span -> span.getKind() == Span.Kind.CONSUMER);
        assertThat(consumer.getName()).isEqualTo("process " + FAILING_FUTURE);
        assertError(consumer, IllegalStateException.class)
            .hasMessage("async work failed for failing");
        assertThat(duration(consumer)).isGreaterThanOrEqualTo(WORK);
    }

    @Test
    void aMonoEndsTheSpanWhenItCompletesAndItsLogsAndSendsJoinIt() throws Exception {
        try (LogLines logs = LogLines.capture(LOGGER)) {
            String traceId = sendInASpan(MONO, "mono");
            await().atMost(DELIVERY).until(() -> App.done.containsKey("mono"));

            // the caller, the send, the listener and the send made inside the Mono
            List<FinishedSpan> spans = awaitTrace(traceId, 4);
            FinishedSpan consumer = only(spans, span -> span.getKind() == Span.Kind.CONSUMER);
            FinishedSpan inner = only(spans, span -> ("send " + OUT).equals(span.getName()));
            assertThat(consumer.getName()).isEqualTo("process " + MONO);
            assertThat(consumer.getError()).isNull();
            assertThat(duration(consumer)).isGreaterThanOrEqualTo(WORK);
            assertThat(inner.getParentId()).isEqualTo(consumer.getSpanId());
            assertThat(consumer.getEndTimestamp()).isAfterOrEqualTo(inner.getEndTimestamp());
            assertThat(logs.lines()).filteredOn(line -> line.message().equals("mono work for mono"))
                .singleElement()
                .satisfies(line -> {
                    assertThat(line.thread()).isNotEqualTo(App.listenerThreads.get("mono"));
                    assertThat(line.traceId()).isEqualTo(traceId);
                    assertThat(line.spanId()).isEqualTo(consumer.getSpanId());
                });
        }
    }

    @Test
    void aListenerThatThrowsAnErrorMarksTheSpanWithIt() throws Exception {
        // Spring Kafka stops the container and calls no interceptor's failure callback for an Error
        String traceId = sendInASpan(ERROR, "erroring");
        List<FinishedSpan> spans = awaitTrace(traceId, 3);
        FinishedSpan consumer = only(spans, span -> span.getKind() == Span.Kind.CONSUMER);
        assertThat(consumer.getName()).isEqualTo("process " + ERROR);
        assertError(consumer, AssertionError.class).hasMessage("listener bug for erroring");
    }

    private String sendInASpan(String topic, String value) throws Exception {
        Span caller = tracer.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(caller)) {
            template.send(topic, value).get(DELIVERY.toSeconds(), TimeUnit.SECONDS);
        }
        finally {
            caller.end();
        }
        return caller.context().traceId();
    }

    /** Waits for {@code count} spans of the trace, and checks that no further one arrives. */
    private List<FinishedSpan> awaitTrace(String traceId, int count) {
        List<FinishedSpan> spans = awaitSpans("spans of trace " + traceId, DELIVERY, count, () -> store.trace(traceId));
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
            .until(() -> store.trace(traceId).size() == count);
        return spans;
    }

    private static Duration duration(FinishedSpan span) {
        return Duration.between(span.getStartTimestamp(), span.getEndTimestamp());
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        private static final Logger logger = LoggerFactory.getLogger(LOGGER);

        /** By record value: the thread each listener method ran on, and the one its async part ended on. */
        static final Map<String, String> listenerThreads = new ConcurrentHashMap<>();

        static final Map<String, String> done = new ConcurrentHashMap<>();

        /** One delivery attempt per record: a failed future is not retried. */
        @Bean
        DefaultErrorHandler errorHandler() {
            return new DefaultErrorHandler(new FixedBackOff(0, 0));
        }

        @Bean
        Listeners listeners(Tracer tracer, KafkaTemplate<String, String> template) {
            return new Listeners(tracer, template);
        }

        static class Listeners {

            private final Tracer tracer;

            private final KafkaTemplate<String, String> template;

            Listeners(Tracer tracer, KafkaTemplate<String, String> template) {
                this.tracer = tracer;
                this.template = template;
            }

            @KafkaListener(topics = FUTURE, groupId = "async-future")
            CompletableFuture<Void> onFuture(ConsumerRecord<String, String> record) {
                listenerThreads.put(record.value(), Thread.currentThread().getName());
                Span listener = tracer.currentSpan();
                return CompletableFuture.runAsync(() -> {
                    // the application carries the context to the thread that does the work
                    try (Tracer.SpanInScope scope = tracer.withSpan(listener)) {
                        tracer.nextSpan().name("async work").start().end();
                    }
                    done.put(record.value(), Thread.currentThread().getName());
                }, CompletableFuture.delayedExecutor(WORK.toMillis(), TimeUnit.MILLISECONDS));
            }

            @KafkaListener(topics = FAILING_FUTURE, groupId = "async-failing-future")
            CompletableFuture<Void> onFailingFuture(String value) {
                listenerThreads.put(value, Thread.currentThread().getName());
                return CompletableFuture.runAsync(() -> {
                    done.put(value, Thread.currentThread().getName());
                    throw new IllegalStateException("async work failed for " + value);
                }, CompletableFuture.delayedExecutor(WORK.toMillis(), TimeUnit.MILLISECONDS));
            }

            @KafkaListener(topics = ERROR, groupId = "listener-error")
            void onError(String value) {
                throw new AssertionError("listener bug for " + value);
            }

            @KafkaListener(topics = MONO, groupId = "async-mono")
            Mono<Void> onMono(String value) {
                listenerThreads.put(value, Thread.currentThread().getName());
                return Mono.delay(WORK).doOnNext(tick -> logger.info("mono work for {}", value))
                    .flatMap(tick -> Mono.fromFuture(() -> template.send(OUT, value)))
                    .doOnSuccess(result -> done.put(value, Thread.currentThread().getName()))
                    .then();
            }

        }

    }

}
