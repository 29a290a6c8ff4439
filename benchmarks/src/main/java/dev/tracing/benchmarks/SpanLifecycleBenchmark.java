package dev.tracing.benchmarks;

import java.util.concurrent.TimeUnit;

import dev.tracing.core.Tracing;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The skeleton of the tracer benchmarks: a root span with two tags and an event, on this
 * project's tracer. TracerComparisonBenchmark compares the same calls with the Brave and
 * OpenTelemetry bridges.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SpanLifecycleBenchmark {

    private final Tracer tracer = Tracing.newBuilder().build();

    @Benchmark
    public Span rootSpan() {
        Span span = tracer.nextSpan().name("root").tag("a", "1").tag("b", "2").event("e").start();
        span.end();
        return span;
    }

}
