package dev.tracing.benchmarks;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.tracing.core.Tracing;
import dev.tracing.export.BatchingSpanReporter;
import dev.tracing.export.SpanExporter;
import dev.tracing.export.ZipkinV2JsonEncoder;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import zipkin2.reporter.BytesEncoder;
import zipkin2.reporter.BytesMessageSender;
import zipkin2.reporter.Encoding;
import zipkin2.reporter.internal.AsyncReporter;

/**
 * What reporting a finished span costs the thread that ends it, under 2 threads: our
 * {@link BatchingSpanReporter} against zipkin-reporter's {@code AsyncReporter} (with an encoder
 * for the same span type), both sending to a sink that accepts everything at once. The batching
 * thread does the encoding in ours; AsyncReporter sizes every span in bytes on the caller.
 *
 * <p>Run: {@code java -cp ... org.openjdk.jmh.Main SpanExportBenchmark -prof gc} (see
 * benchmarks/README.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(2)
public class SpanExportBenchmark {

    private FinishedSpan span;

    private BatchingSpanReporter batching;

    private AsyncReporter<FinishedSpan> async;

    @Setup(Level.Trial)
    public void setUp() {
        List<FinishedSpan> spans = new ArrayList<>();
        Tracer tracer = Tracing.newBuilder().serviceName("bench").reporter(spans::add).build();
        Span s = tracer.nextSpan().name("GET /api/users/{id}").start();
        s.tag("http.request.method", "GET");
        s.tag("http.route", "/api/users/{id}");
        s.tag("http.response.status_code", "200");
        s.event("wire-send");
        s.end();
        span = spans.get(0);
        batching = BatchingSpanReporter.builder()
            .exporter(new SpanExporter() {
                @Override
                public String name() {
                    return "sink";
                }

                @Override
                public void export(List<FinishedSpan> batch) {
                    for (FinishedSpan each : batch) {
                        ZipkinV2JsonEncoder.INSTANCE.encode(each);
                    }
                }
            })
            .scheduleDelay(Duration.ofMillis(100))
            .build();
        async = AsyncReporter.newBuilder(new SinkSender())
            .messageTimeout(100, TimeUnit.MILLISECONDS)
            .build(new JsonEncoder());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        batching.close();
        async.close();
    }

    @Benchmark
    public void batchingSpanReporter() {
        batching.report(span);
    }

    @Benchmark
    public void zipkinAsyncReporter() {
        async.report(span);
    }

    /** Our JSON encoder as zipkin-reporter's encoder for the same span type. */
    static final class JsonEncoder implements BytesEncoder<FinishedSpan> {

        @Override
        public Encoding encoding() {
            return Encoding.JSON;
        }

        @Override
        public int sizeInBytes(FinishedSpan input) {
            return encode(input).length;
        }

        @Override
        public byte[] encode(FinishedSpan input) {
            return ZipkinV2JsonEncoder.INSTANCE.encode(input).getBytes(StandardCharsets.UTF_8);
        }

    }

    static final class SinkSender implements BytesMessageSender {

        @Override
        public Encoding encoding() {
            return Encoding.JSON;
        }

        @Override
        public int messageMaxBytes() {
            return 500_000;
        }

        @Override
        public int messageSizeInBytes(List<byte[]> encodedSpans) {
            return Encoding.JSON.listSizeInBytes(encodedSpans);
        }

        @Override
        public int messageSizeInBytes(int encodedSizeInBytes) {
            return Encoding.JSON.listSizeInBytes(encodedSizeInBytes);
        }

        @Override
        public void send(List<byte[]> encodedSpans) {
        }

        @Override
        public void close() {
        }

    }

}
