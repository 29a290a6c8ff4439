package dev.tracing.benchmarks;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.tracing.core.KeepPolicy;
import dev.tracing.core.Sampler;
import dev.tracing.core.Tracing;
import dev.tracing.export.BatchingSpanReporter;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.export.SpanExporter;
import dev.tracing.export.ZipkinV2JsonEncoder;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.exporter.SpanReporter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What keeping failed and slow traces costs a request that neither fails nor is slow: a SERVER
 * span with the tags our HTTP adapter writes, a CLIENT child with its tags and a local child,
 * each in scope, reported to the in-memory store (every trace kept, as at 100% with
 * {@code max-traces-per-second: 0}). Configurations: {@code all} (100% sampled), {@code one-percent}
 * (1%), {@code one-percent-keep} (1%, keeping errors and traces slower than 2 s: the other 99% are
 * recorded while they run, then dropped), {@code none} (0%, the floor) and {@code all-zipkin} (100%,
 * also encoded as Zipkin JSON by the batching exporter, on its thread, into a sink: what 100% costs an
 * application that exports).
 *
 * <p>The exporter's thread encodes slower than this loop ends spans, so its queue fills and most spans
 * are dropped: the {@code all-zipkin} row is a lower bound of what exporting every span costs. Each fork
 * prints how many spans were exported and dropped; run with {@code ProcessCpuProfiler} to count the
 * exporter's CPU, which the score (the benchmark thread's time) leaves out.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class KeepSamplingBenchmark {

    @Param({ "none", "one-percent", "one-percent-keep", "all", "all-zipkin" })
    String sampling;

    private Tracer tracer;

    private BatchingSpanReporter batching;

    /** What the exporter encoded, read at the end so that the encoding cannot be left out. */
    private volatile long encodedChars;

    @Setup(Level.Trial)
    public void setUp() {
        double probability = switch (sampling) {
            case "all", "all-zipkin" -> 1.0;
            case "none" -> 0.0;
            default -> 0.01;
        };
        KeepPolicy keep = sampling.endsWith("-keep")
                ? KeepPolicy.builder().errors(true).slowerThan(Duration.ofSeconds(2)).build() : KeepPolicy.NONE;
        InMemorySpanStore store = InMemorySpanStore.builder().maxTracesPerSecond(0).build();
        SpanReporter reporter = store;
        if (sampling.equals("all-zipkin")) {
            batching = BatchingSpanReporter.builder().exporter(new SpanExporter() {
                @Override
                public String name() {
                    return "zipkin-json-sink";
                }

                @Override
                public void export(List<FinishedSpan> spans) {
                    encodedChars += ZipkinV2JsonEncoder.INSTANCE.encodeList(spans).length();
                }
            }).scheduleDelay(Duration.ofMillis(100)).build();
            reporter = span -> {
                store.report(span);
                batching.report(span);
            };
        }
        tracer = Tracing.newBuilder().sampler(Sampler.create(probability, 0)).keep(keep).reporter(reporter).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (batching != null) {
            batching.close();
            // a queue that overflowed exported fewer spans than 100% sampling makes: the row would look cheaper
            System.out.printf("%nexported %d spans (%d characters of JSON), dropped %d with the queue full%n",
                    batching.exportedCount("zipkin-json-sink"), encodedChars,
                    batching.droppedCount("zipkin-json-sink", BatchingSpanReporter.QUEUE_FULL));
        }
    }

    @Benchmark
    public Span request() {
        Span server = tracer.spanBuilder()
            .setNoParent()
            .name("GET")
            .kind(Span.Kind.SERVER)
            .start()
            .tag("http.request.method", "GET")
            .tag("url.scheme", "http")
            .tag("url.path", "/front")
            .tag("server.address", "localhost")
            .tag("client.address", "127.0.0.1");
        try (Tracer.SpanInScope serverScope = tracer.withSpan(server)) {
            Span client = tracer.spanBuilder().name("GET").kind(Span.Kind.CLIENT).start();
            try (Tracer.SpanInScope clientScope = tracer.withSpan(client)) {
                client.tag("http.request.method", "GET")
                    .tag("url.full", "http://localhost:8080/back")
                    .tag("server.address", "localhost")
                    .tag("server.port", "8080")
                    .tag("http.response.status_code", "200");
            }
            client.end();
            Span local = tracer.nextSpan().name("render").start();
            local.end();
            server.name("GET /front").tag("http.route", "/front").tag("http.response.status_code", "200");
        }
        server.end();
        return server;
    }

}
