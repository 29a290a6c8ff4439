package dev.tracing.export;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tracing.core.Tracing;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;
import zipkin2.reporter.BytesMessageSender;
import zipkin2.reporter.Encoding;
import zipkin2.reporter.urlconnection.URLConnectionSender;

import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** The batching reporter against real HTTP backends: batches, faults, recovery and shutdown. */
class BatchingSpanReporterTests {

    /** How long spans may take through the queue, the batch delay and the backend. */
    private static final Duration EXPORT = Duration.ofSeconds(20);

    private final List<FinishedSpan> ended = new ArrayList<>();

    private final Tracer tracer = Tracing.newBuilder().serviceName("orders").reporter(ended::add).build();

    private static HttpSpanSender sender(String url, Encoding encoding, int timeoutMillis) {
        return HttpSpanSender.create(url, encoding, java.util.Map.of(), Duration.ofMillis(timeoutMillis));
    }

    private List<FinishedSpan> spans(int count) {
        ended.clear();
        for (int i = 0; i < count; i++) {
            tracer.nextSpan().name("span-" + i).start().end();
        }
        return List.copyOf(ended);
    }

    private static Set<String> otlpSpanIds(List<HttpBackend.Request> requests) throws IOException {
        Set<String> ids = new java.util.HashSet<>();
        for (HttpBackend.Request request : requests) {
            for (var span : ExportTraceServiceRequest.parseFrom(request.body())
                .getResourceSpans(0)
                .getScopeSpans(0)
                .getSpansList()) {
                ids.add(java.util.HexFormat.of().formatHex(span.getSpanId().toByteArray()));
            }
        }
        return ids;
    }

    @Test
    void sendsOtlpProtobufInBatchesOfAtMostMaxBatchSize() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                BatchingSpanReporter reporter = BatchingSpanReporter.builder()
                    .exporter(new OtlpSpanExporter(sender(backend.url("/v1/traces"), Encoding.PROTO3, 2000)))
                    .maxBatchSize(100)
                    .scheduleDelay(Duration.ofMillis(20))
                    .build()) {
            List<FinishedSpan> spans = spans(1000);
            spans.forEach(reporter::report);
            await().atMost(EXPORT).until(() -> reporter.exportedCount("otlp") == 1000);

            List<HttpBackend.Request> requests = backend.requests();
            assertThat(requests).allSatisfy(request -> {
                assertThat(request.path()).isEqualTo("/v1/traces");
                assertThat(request.contentType()).isEqualTo("application/x-protobuf");
                assertThat(ExportTraceServiceRequest.parseFrom(request.body())
                    .getResourceSpans(0)
                    .getScopeSpans(0)
                    .getSpansCount()).isBetween(1, 100);
            });
            assertThat(otlpSpanIds(requests))
                .isEqualTo(spans.stream().map(FinishedSpan::getSpanId).collect(Collectors.toSet()));
        }
    }

    @Test
    void aQueuedSpanKeepsItsExceptionsTypeAndMessageNotTheExceptionItself() throws Exception {
        // the test asks the collector to run while the span waits
        assumeFalse(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
            .contains("-XX:+DisableExplicitGC"));
        try (HttpBackend backend = new HttpBackend();
                BatchingSpanReporter reporter = zipkinReporter(backend, Duration.ofSeconds(3))) {
            WeakReference<UpstreamFailure> failure = reportFailedSpan(reporter);
            // while the span waits in the queue (a slow backend's usual state), its exception and the
            // megabyte it holds can be collected
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                System.gc();
                return failure.get() == null;
            });
            assertThat(reporter.exportedCount("zipkin")).isZero();
            await().atMost(EXPORT).until(() -> reporter.exportedCount("zipkin") == 1);
            String json = new String(backend.requests().get(0).body(), StandardCharsets.UTF_8);
            assertThat(json).contains("\"error\":\"upstream answered 500\"",
                    "\"exception.type\":\"" + UpstreamFailure.class.getName() + "\"");
        }
    }

    @Test
    void aSpanWhoseExceptionCannotSayItsMessageIsExportedWithItsBatch() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                BatchingSpanReporter reporter = zipkinReporter(backend, Duration.ofMillis(200))) {
            Tracer reporting = Tracing.newBuilder().serviceName("orders").reporter(reporter::report).build();
            reporting.nextSpan().name("decode").start().error(new UnreadableFailure()).end();
            reporting.nextSpan().name("next").start().end();
            await().atMost(EXPORT).until(() -> reporter.exportedCount("zipkin")
                    + reporter.droppedCount("zipkin", BatchingSpanReporter.EXPORT_FAILED) == 2);
            assertThat(reporter.exportedCount("zipkin")).isEqualTo(2);
            String json = backend.requests().stream()
                .map(request -> new String(request.body(), StandardCharsets.UTF_8))
                .collect(Collectors.joining());
            assertThat(json).contains("\"name\":\"next\"", "\"error\":\"UnreadableFailure\"",
                    "\"exception.type\":\"" + UnreadableFailure.class.getName() + "\"");
        }
    }

    /** An exception whose message is built from what it cannot read, and fails. */
    static final class UnreadableFailure extends RuntimeException {

        @Override
        public String getMessage() {
            throw new IllegalStateException("the payload is gone");
        }

    }

    /** A reporter that sends to {@code backend}'s Zipkin endpoint every {@code scheduleDelay}. */
    private static BatchingSpanReporter zipkinReporter(HttpBackend backend, Duration scheduleDelay) {
        return BatchingSpanReporter.builder()
            .exporter(new ZipkinSpanExporter(sender(backend.url("/api/v2/spans"), Encoding.JSON, 2000)))
            .scheduleDelay(scheduleDelay)
            .build();
    }

    /** Reports a span that failed with an exception holding a megabyte, and lets go of both. */
    private static WeakReference<UpstreamFailure> reportFailedSpan(BatchingSpanReporter reporter) {
        Tracer reporting = Tracing.newBuilder().serviceName("orders").reporter(reporter::report).build();
        UpstreamFailure failure = new UpstreamFailure();
        reporting.nextSpan().name("call upstream").start().error(failure).end();
        return new WeakReference<>(failure);
    }

    /** An exception that holds what the upstream answered, as an HTTP client's does. */
    static final class UpstreamFailure extends RuntimeException {

        final byte[] body = new byte[1 << 20];

        UpstreamFailure() {
            super("upstream answered 500");
        }

    }

    @Test
    void spansACollectorTookTheRequestOfButRejectedAreCountedAsFailed() throws Exception {
        byte[] rejectedThree = ExportTraceServiceResponse.newBuilder()
            .setPartialSuccess(ExportTracePartialSuccess.newBuilder().setRejectedSpans(3).setErrorMessage("too old"))
            .build()
            .toByteArray();
        try (HttpBackend backend = new HttpBackend()) {
            backend.script(new HttpBackend.Answer(200, java.util.Map.of(), rejectedThree));
            HttpSpanSender sender = HttpSpanSender.create(backend.url("/v1/traces"), Encoding.PROTO3,
                    java.util.Map.of(), Duration.ofSeconds(2), OtlpSpanExporter::checkAnswer);
            try (BatchingSpanReporter reporter = BatchingSpanReporter.builder()
                .exporter(new OtlpSpanExporter(sender))
                .scheduleDelay(Duration.ofMillis(200))
                .build()) {
                spans(10).forEach(reporter::report);
                await().atMost(EXPORT).until(() -> reporter.exportedCount("otlp")
                        + reporter.droppedCount("otlp", BatchingSpanReporter.EXPORT_FAILED) == 10);
                assertThat(backend.requests()).hasSize(1);
                assertThat(reporter.droppedCount("otlp", BatchingSpanReporter.EXPORT_FAILED)).isEqualTo(3);
                assertThat(reporter.exportedCount("otlp")).isEqualTo(7);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void aFailingBackendNeverBlocksReportingDropsAndCountsAndExportResumes(Fault fault) throws Exception {
        try (HttpBackend backend = new HttpBackend()) {
            String url = fault == Fault.UNREACHABLE ? "http://127.0.0.1:" + closedPort() + "/v1/traces"
                    : backend.url("/v1/traces");
            backend.mode(fault == Fault.ANSWERS_500 ? HttpBackend.Mode.FAIL : fault == Fault.NEVER_ANSWERS
                    ? HttpBackend.Mode.HANG : HttpBackend.Mode.ACCEPT);
            SwitchableExporter exporter = new SwitchableExporter(
                    new OtlpSpanExporter(sender(url, Encoding.PROTO3, 1000)));
            try (BatchingSpanReporter reporter = BatchingSpanReporter.builder()
                .exporter(exporter)
                .maxQueueSize(200)
                .maxBatchSize(50)
                .scheduleDelay(Duration.ofMillis(10))
                .timeout(Duration.ofSeconds(1))
                .build()) {
                List<FinishedSpan> spans = spans(20_000);
                int maxQueued = 0;
                long start = System.nanoTime();
                for (FinishedSpan span : spans) {
                    reporter.report(span);
                    maxQueued = Math.max(maxQueued, reporter.queueSize());
                }
                long reportingMillis = (System.nanoTime() - start) / 1_000_000;
                // 20,000 reports while the backend fails: none waited for it (its timeout is 1 s)
                assertThat(reportingMillis).isLessThan(1000);
                assertThat(maxQueued).isLessThanOrEqualTo(200);
                assertThat(reporter.droppedCount("otlp", BatchingSpanReporter.QUEUE_FULL)).isPositive();
                await().atMost(EXPORT)
                    .until(() -> reporter.droppedCount("otlp", BatchingSpanReporter.EXPORT_FAILED) > 0);
                assertThat(reporter.exportedCount("otlp")).isZero();

                // the backend recovers: later spans reach it without a restart
                HttpBackend healthy = new HttpBackend();
                try (healthy) {
                    exporter.target = new OtlpSpanExporter(sender(healthy.url("/v1/traces"), Encoding.PROTO3, 1000));
                    List<FinishedSpan> later = spans(30);
                    await().atMost(EXPORT).until(() -> reporter.queueSize() == 0);
                    later.forEach(reporter::report);
                    await().atMost(EXPORT).until(() -> otlpSpanIds(healthy.requests())
                        .containsAll(later.stream().map(FinishedSpan::getSpanId).toList()));
                }
            }
        }
    }

    enum Fault {
        UNREACHABLE, ANSWERS_500, NEVER_ANSWERS
    }

    @Test
    void closeSendsWhatIsQueued() throws Exception {
        try (HttpBackend backend = new HttpBackend()) {
            BatchingSpanReporter reporter = BatchingSpanReporter.builder()
                .exporter(new OtlpSpanExporter(sender(backend.url("/v1/traces"), Encoding.PROTO3, 2000)))
                .scheduleDelay(Duration.ofSeconds(30))
                .build();
            List<FinishedSpan> spans = spans(100);
            spans.forEach(reporter::report);
            // the worker holds them all in its batch, waiting 30 s for more
            await().atMost(EXPORT).until(() -> reporter.queueSize() == 0);
            reporter.close();
            assertThat(otlpSpanIds(backend.requests()))
                .isEqualTo(spans.stream().map(FinishedSpan::getSpanId).collect(Collectors.toSet()));
            // ended after close: dropped for shutting down, not for a full queue
            reporter.report(spans.get(0));
            assertThat(reporter.droppedCount("otlp", BatchingSpanReporter.SHUTDOWN)).isEqualTo(1);
            assertThat(reporter.droppedCount("otlp", BatchingSpanReporter.QUEUE_FULL)).isZero();
        }
    }

    @Test
    void closeGivesUpAfterTheTimeoutAndCountsWhatIsLeft() throws Exception {
        try (HttpBackend backend = new HttpBackend()) {
            backend.mode(HttpBackend.Mode.HANG);
            BatchingSpanReporter reporter = BatchingSpanReporter.builder()
                .exporter(new OtlpSpanExporter(sender(backend.url("/v1/traces"), Encoding.PROTO3, 30_000)))
                .maxBatchSize(10)
                .scheduleDelay(Duration.ZERO)
                .timeout(Duration.ofMillis(500))
                .build();
            spans(100).forEach(reporter::report);
            await().atMost(EXPORT).until(() -> backend.hanging > 0);
            long start = System.nanoTime();
            reporter.close();
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5_000);
            // the hanging batch holds 1 to 10 spans; the rest never left the queue
            assertThat(reporter.droppedCount("otlp", BatchingSpanReporter.SHUTDOWN)).isBetween(90L, 99L);
        }
    }

    @Test
    void zipkinExporterPostsJsonArraysSplitToTheSendersLimit() throws Exception {
        try (HttpBackend backend = new HttpBackend()) {
            URLConnectionSender sender = URLConnectionSender.newBuilder()
                .endpoint(backend.url("/api/v2/spans"))
                .messageMaxBytes(2000)
                .build();
            try (BatchingSpanReporter reporter = BatchingSpanReporter.builder()
                .exporter(new ZipkinSpanExporter(sender))
                .scheduleDelay(Duration.ofMillis(20))
                .build()) {
                List<FinishedSpan> spans = spans(50);
                spans.forEach(reporter::report);
                await().atMost(EXPORT).until(() -> reporter.exportedCount("zipkin") == 50);
                List<HttpBackend.Request> requests = backend.requests();
                assertThat(requests).hasSizeGreaterThan(1).allSatisfy(request -> {
                    assertThat(request.path()).isEqualTo("/api/v2/spans");
                    assertThat(request.contentType()).isEqualTo("application/json");
                    assertThat(request.body().length).isLessThanOrEqualTo(2000);
                });
                String all = requests.stream()
                    .map(request -> new String(request.body(), StandardCharsets.UTF_8))
                    .collect(Collectors.joining());
                assertThat(all).startsWith("[{").endsWith("}]");
                spans.forEach(span -> assertThat(all).contains("\"id\":\"" + span.getSpanId() + "\""));
            }
        }
    }

    /** 20 spans of which the 8th has a name of 3,000 characters: no message of 2,000 bytes can hold it. */
    private List<FinishedSpan> spansWithAHugeOne() {
        ended.clear();
        for (int i = 0; i < 20; i++) {
            tracer.nextSpan().name(i == 7 ? "x".repeat(3000) : "span-" + i).start().end();
        }
        return List.copyOf(ended);
    }

    /** Zipkin (JSON) or OTLP (protobuf) to {@code backend}, in messages of at most 2,000 bytes. */
    private static SpanExporter smallMessageExporter(HttpBackend backend, Encoding encoding) {
        boolean zipkin = encoding == Encoding.JSON;
        URLConnectionSender sender = URLConnectionSender.newBuilder()
            .endpoint(backend.url(zipkin ? "/api/v2/spans" : "/v1/traces"))
            .encoding(encoding)
            .messageMaxBytes(2000)
            .build();
        return zipkin ? new ZipkinSpanExporter(sender) : new OtlpSpanExporter(sender);
    }

    private static BatchingSpanReporter oneBatchReporter(SpanExporter exporter) {
        // a batch delay long enough that the spans reported in a loop go in one batch
        return BatchingSpanReporter.builder().exporter(exporter).scheduleDelay(Duration.ofMillis(500)).build();
    }

    @ParameterizedTest
    @EnumSource(value = Encoding.class, names = { "JSON", "PROTO3" })
    void aSpanNoMessageCanHoldIsDroppedAloneAndCounted(Encoding encoding) throws Exception {
        try (HttpBackend backend = new HttpBackend()) {
            boolean zipkin = encoding == Encoding.JSON;
            SpanExporter exporter = smallMessageExporter(backend, encoding);
            Logger logger = (Logger) LoggerFactory.getLogger(BatchingSpanReporter.class);
            ListAppender<ILoggingEvent> appender = new ListAppender<>();
            appender.start();
            logger.addAppender(appender);
            List<FinishedSpan> spans = spansWithAHugeOne();
            try (BatchingSpanReporter reporter = oneBatchReporter(exporter)) {
                spans.forEach(reporter::report);
                await().atMost(EXPORT)
                    .until(() -> reporter.droppedCount(exporter.name(), BatchingSpanReporter.EXPORT_FAILED) > 0);
                assertThat(reporter.exportedCount(exporter.name())).isEqualTo(19);
                assertThat(reporter.droppedCount(exporter.name(), BatchingSpanReporter.EXPORT_FAILED)).isOne();
            }
            finally {
                logger.detachAppender(appender);
            }
            List<HttpBackend.Request> requests = backend.requests();
            assertThat(requests).hasSizeGreaterThan(1)
                .allSatisfy(request -> assertThat(request.body().length).isLessThanOrEqualTo(2000));
            Set<String> received = zipkin ? zipkinSpanIds(requests) : otlpSpanIds(requests);
            assertThat(received).hasSize(19).doesNotContain(spans.get(7).getSpanId());
            assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage)
                .anySatisfy(message -> assertThat(message).contains("exceeds the sender's message limit of 2000 bytes"));
        }
    }

    /** The starter's sender to {@code backend}'s Zipkin or OTLP path, by encoding, with a 5 s deadline. */
    private static HttpSpanSender senderTo(HttpBackend backend, Encoding encoding) {
        return senderTo(backend, encoding, 5000);
    }

    private static HttpSpanSender senderTo(HttpBackend backend, Encoding encoding, int timeoutMillis) {
        return sender(backend.url(encoding == Encoding.JSON ? "/api/v2/spans" : "/v1/traces"), encoding,
                timeoutMillis);
    }

    /** The Zipkin or OTLP exporter over {@code sender}, by its encoding. */
    private static SpanExporter exporterOf(HttpSpanSender sender) {
        return sender.encoding() == Encoding.JSON ? new ZipkinSpanExporter(sender) : new OtlpSpanExporter(sender);
    }

    /** Spans of about 2 KB each, in tags of random hex that compresses to about half. */
    private List<FinishedSpan> spansOfRandomTags(int count) {
        ended.clear();
        java.util.Random random = new java.util.Random(count);
        for (int i = 0; i < count; i++) {
            tracer.nextSpan().name("span-" + i).tag("a", randomHex(random, 1024)).tag("b", randomHex(random, 1024))
                .start().end();
        }
        return List.copyOf(ended);
    }

    private static String randomHex(java.util.Random random, int length) {
        byte[] bytes = new byte[length / 2];
        random.nextBytes(bytes);
        return java.util.HexFormat.of().formatHex(bytes);
    }

    @ParameterizedTest
    @EnumSource(value = Encoding.class, names = { "JSON", "PROTO3" })
    void aMessageAProxyRefusesAsTooLargeIsSentAgainInHalvesAndTheNextBatchesAreSmaller(Encoding encoding)
            throws Exception {
        try (HttpBackend backend = new HttpBackend()) {
            // a proxy taking at most 60 KB: 200 spans of 2 KB are about 200 KB compressed
            backend.maxBodyBytes = 60_000;
            boolean zipkin = encoding == Encoding.JSON;
            HttpSpanSender sender = senderTo(backend, encoding);
            SpanExporter exporter = exporterOf(sender);
            List<FinishedSpan> first = spansOfRandomTags(200);
            List<FinishedSpan> second = spansOfRandomTags(200);
            try (BatchingSpanReporter reporter = oneBatchReporter(exporter)) {
                first.forEach(reporter::report);
                await().atMost(EXPORT).until(() -> reporter.exportedCount(exporter.name()) == 200);
                int refusedForTheFirst = backend.tooLarge.get();
                assertThat(refusedForTheFirst).isPositive();
                second.forEach(reporter::report);
                await().atMost(EXPORT).until(() -> reporter.exportedCount(exporter.name()) == 400);
                assertThat(reporter.droppedCount(exporter.name(), BatchingSpanReporter.EXPORT_FAILED)).isZero();
                // the limit was learnt: the second batch went in messages the proxy took
                assertThat(backend.tooLarge.get()).isEqualTo(refusedForTheFirst);
            }
            assertThat(sender.messageMaxBytes()).isLessThan(HttpSpanSender.MESSAGE_MAX_BYTES);
            List<HttpBackend.Request> requests = backend.requests();
            Set<String> received = zipkin ? zipkinSpanIds(requests) : otlpSpanIds(requests);
            assertThat(received).hasSize(400);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Encoding.class, names = { "JSON", "PROTO3" })
    void aBatchSentInSeveralMessagesToASlowBackendTakesOneTimeoutNotOnePerMessage(Encoding encoding)
            throws Exception {
        try (HttpBackend backend = new HttpBackend()) {
            backend.maxBodyBytes = 60_000;
            SpanExporter exporter = exporterOf(senderTo(backend, encoding, 1000));
            // the proxy's limit learnt: a batch of 200 spans now goes in several messages
            exporter.export(spansOfRandomTags(200));
            int firstRequests = backend.requests().size();
            backend.answerDelayMillis = 300;
            List<FinishedSpan> batch = spansOfRandomTags(200);
            long start = System.nanoTime();
            Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> exporter.export(batch));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            // each message answered in time, but not all of them within one timeout: the rest are the failure's
            // (all of them, should the machine stall past the timeout before the first answer)
            assertThat(failure).isInstanceOf(IOException.class);
            if (failure instanceof PartialExportFailure partial) {
                assertThat(partial.failedSpans()).isBetween(1, 199);
            }
            // one message per 300 ms: about 2.6 s for the batch, each message with a timeout of its own
            assertThat(took).isLessThan(Duration.ofMillis(2000));
            assertThat(backend.requests().size() - firstRequests).isBetween(2, 5);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Encoding.class, names = { "JSON", "PROTO3" })
    void aProxyThatRefusesEvenSmallRequestsCostsOneRequestPerMessage(Encoding encoding) throws Exception {
        try (HttpBackend backend = new HttpBackend()) {
            backend.maxBodyBytes = 100;
            SpanExporter exporter = exporterOf(senderTo(backend, encoding));
            try (BatchingSpanReporter reporter = oneBatchReporter(exporter)) {
                spans(50).forEach(reporter::report);
                await().atMost(EXPORT)
                    .until(() -> reporter.droppedCount(exporter.name(), BatchingSpanReporter.EXPORT_FAILED) == 50);
            }
            // not halved down to single spans: 99 requests for one batch, and as many for every later one
            assertThat(backend.tooLarge.get()).isOne();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Encoding.class, names = { "JSON", "PROTO3" })
    void aSpanAProxyRefusesAsTooLargeAloneIsCountedAndTheRestAreSent(Encoding encoding) throws Exception {
        try (HttpBackend backend = new HttpBackend()) {
            backend.maxBodyBytes = 60_000;
            boolean zipkin = encoding == Encoding.JSON;
            SpanExporter exporter = exporterOf(senderTo(backend, encoding));
            List<FinishedSpan> spans = new ArrayList<>(spansOfRandomTags(20));
            ended.clear();
            // about 120 KB before compression, 60 KB after: no message the proxy takes can hold it
            tracer.nextSpan().name(randomHex(new java.util.Random(1), 120_000)).start().end();
            FinishedSpan huge = ended.get(0);
            spans.add(10, huge);
            try (BatchingSpanReporter reporter = oneBatchReporter(exporter)) {
                spans.forEach(reporter::report);
                await().atMost(EXPORT)
                    .until(() -> reporter.exportedCount(exporter.name()) == 20
                            && reporter.droppedCount(exporter.name(), BatchingSpanReporter.EXPORT_FAILED) == 1);
            }
            List<HttpBackend.Request> requests = backend.requests();
            Set<String> received = zipkin ? zipkinSpanIds(requests) : otlpSpanIds(requests);
            assertThat(received).hasSize(20).doesNotContain(huge.getSpanId());
        }
    }

    @Test
    void aBatchThatFailsInPartsOfTwoKindsLogsBoth() throws Exception {
        try (HttpBackend backend = new HttpBackend()) {
            BytesMessageSender small = URLConnectionSender.newBuilder()
                .endpoint(backend.url("/v1/traces"))
                .encoding(Encoding.PROTO3)
                .messageMaxBytes(2000)
                .build();
            // a collector that takes each request and rejects one of its spans, as its partial success says
            BytesMessageSender rejectingOne = new BytesMessageSender() {
                @Override
                public Encoding encoding() {
                    return small.encoding();
                }

                @Override
                public int messageMaxBytes() {
                    return small.messageMaxBytes();
                }

                @Override
                public int messageSizeInBytes(List<byte[]> encodedSpans) {
                    return small.messageSizeInBytes(encodedSpans);
                }

                @Override
                public int messageSizeInBytes(int encodedSizeInBytes) {
                    return small.messageSizeInBytes(encodedSizeInBytes);
                }

                @Override
                public void send(List<byte[]> encodedSpans) throws IOException {
                    small.send(encodedSpans);
                    throw new PartialExportFailure(1, new ExportFailure("rejected", "rejected 1 span(s): too old"));
                }

                @Override
                public void close() throws IOException {
                    small.close();
                }
            };
            SpanExporter exporter = new OtlpSpanExporter(rejectingOne);
            Logger logger = (Logger) LoggerFactory.getLogger(BatchingSpanReporter.class);
            ListAppender<ILoggingEvent> appender = new ListAppender<>();
            appender.start();
            logger.addAppender(appender);
            try (BatchingSpanReporter reporter = oneBatchReporter(exporter)) {
                spansWithAHugeOne().forEach(reporter::report);
                await().atMost(EXPORT).until(() -> reporter.exportedCount("otlp")
                        + reporter.droppedCount("otlp", BatchingSpanReporter.EXPORT_FAILED) == 20);
                int requests = backend.requests().size();
                assertThat(reporter.droppedCount("otlp", BatchingSpanReporter.EXPORT_FAILED)).isEqualTo(1 + requests);
            }
            finally {
                logger.detachAppender(appender);
            }
            assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage)
                .anySatisfy(message -> assertThat(message).contains("rejected 1 span(s): too old"))
                .anySatisfy(message -> assertThat(message).contains("exceeds the sender's message limit of 2000 bytes"));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Encoding.class, names = { "JSON", "PROTO3" })
    void aBatchSentInPartCountsOnlyTheSpansNotSentAsFailed(Encoding encoding) throws Exception {
        try (HttpBackend backend = new HttpBackend()) {
            boolean zipkin = encoding == Encoding.JSON;
            // the first message is taken, every later one fails
            backend.script(new HttpBackend.Answer(202, java.util.Map.of()));
            backend.mode(HttpBackend.Mode.FAIL);
            SpanExporter exporter = smallMessageExporter(backend, encoding);
            try (BatchingSpanReporter reporter = oneBatchReporter(exporter)) {
                spans(100).forEach(reporter::report);
                await().atMost(EXPORT)
                    .until(() -> reporter.droppedCount(exporter.name(), BatchingSpanReporter.EXPORT_FAILED) > 0);
                List<HttpBackend.Request> taken = backend.requests();
                assertThat(taken).hasSize(1);
                int sent = (zipkin ? zipkinSpanIds(taken) : otlpSpanIds(taken)).size();
                assertThat(sent).isBetween(1, 99);
                assertThat(reporter.exportedCount(exporter.name())).isEqualTo(sent);
                assertThat(reporter.droppedCount(exporter.name(), BatchingSpanReporter.EXPORT_FAILED))
                    .isEqualTo(100 - sent);
            }
        }
    }

    private static Set<String> zipkinSpanIds(List<HttpBackend.Request> requests) {
        Set<String> ids = new java.util.HashSet<>();
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("\"id\":\"([0-9a-f]{16})\"")
            .matcher(requests.stream()
                .map(request -> new String(request.body(), StandardCharsets.UTF_8))
                .collect(Collectors.joining()));
        while (matcher.find()) {
            ids.add(matcher.group(1));
        }
        return ids;
    }

    @Test
    void loggingExporterWritesOneJsonLinePerSpanOnItsOwnLogger() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(LoggingSpanExporter.LOGGER_NAME);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
        try (BatchingSpanReporter reporter = BatchingSpanReporter.builder()
            .exporter(new LoggingSpanExporter())
            .scheduleDelay(Duration.ofMillis(10))
            .build()) {
            List<FinishedSpan> spans = new ArrayList<>(spans(3));
            // a tag from a request: NEL (U+0085) and the other C1 controls end a line for some log readers
            tracer.nextSpan().name("forged").tag("q", "a\u0085ERROR forged\u2028line\u009b\u007f").start().end();
            spans.add(ended.get(ended.size() - 1));
            spans.forEach(reporter::report);
            await().atMost(EXPORT).until(() -> appender.list.size() == 4);
            for (int i = 0; i < 4; i++) {
                assertThat(appender.list.get(i).getFormattedMessage())
                    .isEqualTo(ZipkinV2JsonEncoder.INSTANCE.encode(spans.get(i)))
                    .doesNotContain("\n")
                    .doesNotContainPattern("[\u007f-\u009f\u2028\u2029]");
            }
            assertThat(appender.list.get(3).getFormattedMessage())
                .contains("\"q\":\"a\\u0085ERROR forged\\u2028line\\u009b\\u007f\"");
        }
        finally {
            logger.setLevel(null);
            logger.detachAppender(appender);
        }
    }

    @Test
    void anExporterThatThrowsDoesNotStopTheOthers() throws Exception {
        ConcurrentLinkedQueue<FinishedSpan> received = new ConcurrentLinkedQueue<>();
        try (BatchingSpanReporter reporter = BatchingSpanReporter.builder()
            .exporter(new SpanExporter() {
                @Override
                public String name() {
                    return "broken";
                }

                @Override
                public void export(List<FinishedSpan> spans) {
                    throw new IllegalStateException("broken exporter");
                }
            })
            .exporter(new SpanExporter() {
                @Override
                public String name() {
                    return "working";
                }

                @Override
                public void export(List<FinishedSpan> spans) {
                    received.addAll(spans);
                }
            })
            .scheduleDelay(Duration.ofMillis(10))
            .build()) {
            spans(10).forEach(reporter::report);
            await().atMost(EXPORT).until(() -> received.size() == 10);
            // each exporter has its own thread, and counts once its own attempt has returned
            await().atMost(EXPORT)
                .until(() -> reporter.droppedCount("broken", BatchingSpanReporter.EXPORT_FAILED) == 10);
            await().atMost(EXPORT).until(() -> reporter.exportedCount("working") == 10);
        }
    }

    @Test
    void anErrorThrownByAnExporterCountsItsSpansAndTheNextBatchIsStillTried() throws Exception {
        ConcurrentLinkedQueue<FinishedSpan> received = new ConcurrentLinkedQueue<>();
        AtomicBoolean failing = new AtomicBoolean(true);
        try (BatchingSpanReporter reporter = BatchingSpanReporter.builder()
            .exporter(new SpanExporter() {
                @Override
                public String name() {
                    return "erring";
                }

                @Override
                public void export(List<FinishedSpan> spans) {
                    if (failing.get()) {
                        // e.g. an OutOfMemoryError while encoding a large batch
                        throw new AssertionError("exporter broke");
                    }
                    received.addAll(spans);
                }
            })
            .scheduleDelay(Duration.ofMillis(10))
            .build()) {
            spans(3).forEach(reporter::report);
            await().atMost(EXPORT)
                .until(() -> reporter.droppedCount("erring", BatchingSpanReporter.EXPORT_FAILED) == 3);
            failing.set(false);
            spans(2).forEach(reporter::report);
            await().atMost(EXPORT).until(() -> reporter.exportedCount("erring") == 2);
            assertThat(received).hasSize(2);
        }
    }

    @Test
    void anErrorWhileTheFailureIsLoggedLeavesTheWorkerExporting() throws Exception {
        // logging fails too (an OutOfMemoryError under memory pressure): Logback passes an Error on to the caller
        Logger logger = (Logger) LoggerFactory.getLogger(BatchingSpanReporter.class);
        AtomicBoolean loggingBreaks = new AtomicBoolean(true);
        ch.qos.logback.core.AppenderBase<ILoggingEvent> breaking = new ch.qos.logback.core.AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent event) {
                if (loggingBreaks.get()) {
                    throw new AssertionError("logging broke");
                }
            }
        };
        breaking.start();
        ch.qos.logback.classic.Level level = logger.getLevel();
        logger.setLevel(ch.qos.logback.classic.Level.DEBUG);
        logger.addAppender(breaking);
        AtomicBoolean failing = new AtomicBoolean(true);
        ConcurrentLinkedQueue<FinishedSpan> received = new ConcurrentLinkedQueue<>();
        try (BatchingSpanReporter reporter = BatchingSpanReporter.builder().exporter(otlp(spans -> {
            if (failing.get()) {
                throw new ExportFailure("HTTP 503", "HTTP 503 from http://collector:4318/v1/traces");
            }
            received.addAll(spans);
        })).scheduleDelay(Duration.ofMillis(10)).build()) {
            spans(3).forEach(reporter::report);
            await().atMost(EXPORT)
                .until(() -> reporter.droppedCount("otlp", BatchingSpanReporter.EXPORT_FAILED) == 3);
            failing.set(false);
            loggingBreaks.set(false);
            spans(2).forEach(reporter::report);
            await().atMost(EXPORT).until(() -> reporter.exportedCount("otlp") == 2);
            assertThat(received).hasSize(2);
        }
        finally {
            logger.detachAppender(breaking);
            logger.setLevel(level);
        }
    }

    /** What an exporter does with a batch. */
    private interface Export {

        void export(List<FinishedSpan> spans) throws IOException;

    }

    /** An exporter named as the OTLP one, doing {@code export}. */
    private static SpanExporter otlp(Export export) {
        return new SpanExporter() {
            @Override
            public String name() {
                return "otlp";
            }

            @Override
            public void export(List<FinishedSpan> spans) throws IOException {
                export.export(spans);
            }
        };
    }

    /** Lets a test point the reporter's exporter at a recovered backend. */
    private static final class SwitchableExporter implements SpanExporter {

        volatile SpanExporter target;

        SwitchableExporter(SpanExporter target) {
            this.target = target;
        }

        @Override
        public String name() {
            return "otlp";
        }

        @Override
        public void export(List<FinishedSpan> spans) throws IOException {
            target.export(spans);
        }

    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void twoExportersOfOneKindAreCountedApart() {
        // two OTLP collectors, the second one down
        List<FinishedSpan> first = new CopyOnWriteArrayList<>();
        SpanExporter up = otlp(first::addAll);
        SpanExporter down = otlp(spans -> {
            throw new IOException("collector down");
        });
        try (BatchingSpanReporter reporter = BatchingSpanReporter.builder()
            .exporter(up)
            .exporter(down)
            .scheduleDelay(Duration.ofMillis(20))
            .build()) {
            assertThat(reporter.exporterNames()).containsExactly("otlp", "otlp-2");
            spans(3).forEach(reporter::report);
            // each exporter has a thread of its own: the failing one may be done first
            await().atMost(EXPORT).until(() -> reporter.droppedCount("otlp-2", BatchingSpanReporter.EXPORT_FAILED) == 3
                    && reporter.exportedCount("otlp") == 3);
            assertThat(reporter.droppedCount("otlp", BatchingSpanReporter.EXPORT_FAILED)).isZero();
            assertThat(first).hasSize(3);
        }
    }

    @Test
    void builderDefaults() {
        BatchingSpanReporter.Builder builder = BatchingSpanReporter.builder();
        assertThat(builder.maxQueueSize()).isEqualTo(BatchingSpanReporter.DEFAULT_MAX_QUEUE_SIZE).isEqualTo(10_000);
        assertThat(builder.timeout()).isEqualTo(BatchingSpanReporter.DEFAULT_TIMEOUT).isEqualTo(Duration.ofSeconds(10));
        assertThat(BatchingSpanReporter.DEFAULT_MAX_BATCH_SIZE).isEqualTo(512);
        assertThat(BatchingSpanReporter.DEFAULT_SCHEDULE_DELAY).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void settingsAreCheckedAloneAndTogether() {
        assertThatIllegalArgumentException().isThrownBy(() -> BatchingSpanReporter.builder().maxQueueSize(0))
            .withMessage("must be positive, was 0");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> BatchingSpanReporter.builder().timeout(Duration.ofDays(30)))
            .withMessageStartingWith("must be at most PT596H31M23.647S (Integer.MAX_VALUE ms)");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> BatchingSpanReporter.builder().maxQueueSize(10).maxBatchSize(20).check())
            .withMessage("the batch size (20) must not exceed the queue size (10)");
        assertThat(BatchingSpanReporter.builder().maxQueueSize(20).maxBatchSize(20).check()).isNotNull();
    }

    @Test
    void aBackendThatHangsDelaysNoOther() throws Exception {
        try (HttpBackend hanging = new HttpBackend(); HttpBackend healthy = new HttpBackend()) {
            hanging.mode(HttpBackend.Mode.HANG);
            try (BatchingSpanReporter reporter = BatchingSpanReporter.builder()
                .exporter(new ZipkinSpanExporter(sender(hanging.url("/api/v2/spans"), Encoding.JSON, 30_000)))
                .exporter(new OtlpSpanExporter(sender(healthy.url("/v1/traces"), Encoding.PROTO3, 30_000)))
                .scheduleDelay(Duration.ofMillis(10))
                .timeout(Duration.ofSeconds(1))
                .build()) {
                List<FinishedSpan> first = spans(5);
                first.forEach(reporter::report);
                await().atMost(EXPORT).until(() -> hanging.hanging > 0);
                // Zipkin's thread waits on its backend; OTLP's goes on
                List<FinishedSpan> second = spans(5);
                second.forEach(reporter::report);
                long start = System.nanoTime();
                await().atMost(EXPORT).until(() -> otlpSpanIds(healthy.requests())
                    .containsAll(second.stream().map(FinishedSpan::getSpanId).toList()));
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
                assertThat(reporter.exportedCount("zipkin")).isZero();
            }
        }
    }

    @Test
    void eachKindOfExportFailureIsLoggedAtWarnOnceThenRarely() {
        Logger logger = (Logger) LoggerFactory.getLogger(BatchingSpanReporter.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        try (BatchingSpanReporter reporter = BatchingSpanReporter.builder()
            .exporter(new SpanExporter() {
                @Override
                public String name() {
                    return "otlp";
                }

                @Override
                public void export(List<FinishedSpan> spans) throws IOException {
                    int call = calls.incrementAndGet();
                    throw call < 3 ? new ExportFailure("HTTP 401", "HTTP 401 from http://collector:4318/v1/traces")
                            : new ExportFailure("redirect", "HTTP 307 from http://collector:4318/v1/traces redirects "
                                    + "to http://elsewhere/v1/traces");
                }
            })
            .maxBatchSize(1)
            .scheduleDelay(Duration.ZERO)
            .build()) {
            spans(4).forEach(reporter::report);
            await().atMost(EXPORT).until(() -> reporter.droppedCount("otlp", BatchingSpanReporter.EXPORT_FAILED) == 4);
        }
        finally {
            logger.detachAppender(appender);
        }
        assertThat(appender.list).filteredOn(event -> event.getLevel() == ch.qos.logback.classic.Level.WARN)
            .extracting(ILoggingEvent::getFormattedMessage)
            .hasSize(2)
            .anySatisfy(message -> assertThat(message).startsWith("Exporting spans to otlp failed: HTTP 401 from "
                    + "http://collector:4318/v1/traces. The spans are dropped and counted"))
            .anySatisfy(message -> assertThat(message).contains("redirects to http://elsewhere/v1/traces"));
    }

}
