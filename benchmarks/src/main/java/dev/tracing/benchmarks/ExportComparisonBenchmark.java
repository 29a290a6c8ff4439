package dev.tracing.benchmarks;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.tracing.export.BatchingSpanReporter;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.export.SpanExporter;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import zipkin2.reporter.brave.AsyncZipkinSpanHandler;

/**
 * Item 6 of the comparison: a span started, tagged and ended by 2 threads at once, each tracer
 * handing its finished spans to its batching exporter, and ours also to its in-memory store.
 *
 * <ul>
 * <li>{@link #oursBatching}: our {@link BatchingSpanReporter}; its exporter takes the batch and
 * keeps nothing.</li>
 * <li>{@link #braveAsyncZipkin}: the Brave bridge with zipkin-reporter's
 * {@code AsyncZipkinSpanHandler} (what Brave users export with) and a sender that keeps nothing.
 * It encodes each span to Zipkin JSON on the caller, to size it: that is its design.</li>
 * <li>{@link #otelBatchSpanProcessor}: the OpenTelemetry bridge with the SDK's
 * {@code BatchSpanProcessor} (what Spring Boot configures) and an exporter that keeps nothing.</li>
 * <li>{@link #oursMemoryStore}: our {@link InMemorySpanStore} (10,000 spans, full after the
 * warm-up, so each span also evicts one). Neither bridge has an equivalent; compare it with the
 * three rows above and with {@code TracerComparisonBenchmark.rootSpan} (no sink).</li>
 * <li>{@link #oursMemoryStoreLimited}: the store as the starter builds it (100 new traces a second),
 * fed traces of three spans whose two children end before their root, as a server span's do: at this
 * rate it refuses almost every trace, as it does under load at 100% sampling. Time per span.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(2)
public class ExportComparisonBenchmark {

    ComparedTracer oursBatching;

    ComparedTracer oursMemory;

    ComparedTracer oursMemoryLimited;

    ComparedTracer brave;

    ComparedTracer otel;

    private BatchingSpanReporter batching;

    private AsyncZipkinSpanHandler zipkinHandler;

    @Setup(Level.Trial)
    public void setUp() {
        batching = BatchingSpanReporter.builder().exporter(new SpanExporter() {
            @Override
            public String name() {
                return "sink";
            }

            @Override
            public void export(List<FinishedSpan> spans) {
            }
        }).scheduleDelay(Duration.ofMillis(100)).build();
        oursBatching = ComparedTracer.ours(true, batching);
        oursMemory = ComparedTracer.ours(true, InMemorySpanStore.builder().maxSpans(10_000).maxTracesPerSecond(0).build());
        oursMemoryLimited = ComparedTracer.ours(true, InMemorySpanStore.builder().build());
        zipkinHandler = AsyncZipkinSpanHandler.newBuilder(new SpanExportBenchmark.SinkSender())
            .messageTimeout(100, TimeUnit.MILLISECONDS)
            .build();
        brave = ComparedTracer.brave(true, zipkinHandler);
        otel = ComparedTracer.otel(true, BatchSpanProcessor.builder(new SinkExporter())
            .setScheduleDelay(Duration.ofMillis(100))
            .build());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        oursBatching.close();
        oursMemory.close();
        oursMemoryLimited.close();
        brave.close();
        zipkinHandler.close();
        otel.close();
        batching.close();
    }

    @Benchmark
    public Span oursBatching() {
        return span(oursBatching);
    }

    @Benchmark
    public Span oursMemoryStore() {
        return span(oursMemory);
    }

    @Benchmark
    @OperationsPerInvocation(3)
    public Span oursMemoryStoreLimited() {
        Span root = oursMemoryLimited.tracer.nextSpan().name("GET /front").start();
        try (Tracer.SpanInScope scope = oursMemoryLimited.tracer.withSpan(root)) {
            span(oursMemoryLimited);
            span(oursMemoryLimited);
        }
        root.end();
        return root;
    }

    @Benchmark
    public Span braveAsyncZipkin() {
        return span(brave);
    }

    @Benchmark
    public Span otelBatchSpanProcessor() {
        return span(otel);
    }

    static Span span(ComparedTracer compared) {
        Span span = compared.tracer.nextSpan().name("GET /api/users/{id}").start();
        span.tag("http.request.method", "GET");
        span.tag("http.route", "/api/users/{id}");
        span.tag("http.response.status_code", "200");
        span.end();
        return span;
    }

    static final class SinkExporter implements io.opentelemetry.sdk.trace.export.SpanExporter {

        @Override
        public CompletableResultCode export(java.util.Collection<SpanData> spans) {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }

    }

}
