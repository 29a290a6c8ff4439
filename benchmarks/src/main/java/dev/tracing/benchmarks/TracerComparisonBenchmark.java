package dev.tracing.benchmarks;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The same Micrometer Tracing API calls on three tracers, in one run: ours, the Brave bridge and
 * the OpenTelemetry bridge (see {@link ComparedTracer} for how each is configured).
 *
 * <ol>
 * <li>{@link #rootSpan}: start, two tags, one event, end.</li>
 * <li>{@link #childInScope}: a child of the request's span, put in scope, read back, ended: the
 * request hot path, sampled. {@link #childInScopeUnsampled}: the same under an unsampled
 * parent.</li>
 * <li>{@link #w3cInjectExtract}, {@link #b3SingleExtract}, {@link #malformedExtract}.</li>
 * <li>{@link #baggageInjectExtract}: a {@code traceparent} and three remote baggage fields
 * extracted, a child started, its headers injected.</li>
 * </ol>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TracerComparisonBenchmark {

    private static final Propagator.Setter<Map<String, String>> SETTER = Map::put;

    private static final Propagator.Getter<Map<String, String>> GETTER = Map::get;

    @Param({ "ours", "brave", "otel" })
    public String tracer;

    private ComparedTracer sampled;

    private ComparedTracer unsampled;

    private Span sampledParent;

    private Span unsampledParent;

    private final Map<String, String> w3cHeaders = new HashMap<>();

    private final Map<String, String> b3Headers = new HashMap<>();

    private final Map<String, String> malformedHeaders = new HashMap<>();

    private final Map<String, String> baggageHeaders = new HashMap<>();

    @Setup(Level.Trial)
    public void setUp() {
        sampled = ComparedTracer.create(tracer, true);
        unsampled = ComparedTracer.create(tracer, false);
        sampledParent = sampled.tracer.nextSpan().name("request").start();
        unsampledParent = unsampled.tracer.nextSpan().name("request").start();
        w3cHeaders.put("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        b3Headers.put("b3", "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1");
        malformedHeaders.put("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01");
        baggageHeaders.put("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        baggageHeaders.put("baggage", "tenant=acme,region=eu-west-1,user-tier=gold");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        sampledParent.end();
        unsampledParent.end();
        sampled.close();
        unsampled.close();
    }

    @Benchmark
    public Span rootSpan() {
        Span span = sampled.tracer.nextSpan().name("root").start();
        span.tag("a", "1");
        span.tag("b", "2");
        span.event("e");
        span.end();
        return span;
    }

    @Benchmark
    public void childInScope(Blackhole bh) {
        childInScope(sampled.tracer, sampledParent, bh);
    }

    @Benchmark
    public void childInScopeUnsampled(Blackhole bh) {
        childInScope(unsampled.tracer, unsampledParent, bh);
    }

    private static void childInScope(Tracer tracer, Span parent, Blackhole bh) {
        Span child = tracer.nextSpan(parent).name("child").start();
        try (Tracer.SpanInScope ws = tracer.withSpan(child)) {
            bh.consume(tracer.currentSpan());
        }
        child.end();
    }

    @Benchmark
    public Map<String, String> w3cInjectExtract() {
        Span span = sampled.propagator.extract(w3cHeaders, GETTER).start();
        Map<String, String> out = new HashMap<>();
        sampled.propagator.inject(span.context(), out, SETTER);
        span.end();
        return out;
    }

    @Benchmark
    public Span b3SingleExtract() {
        Span span = sampled.b3Propagator.extract(b3Headers, GETTER).start();
        span.end();
        return span;
    }

    @Benchmark
    public Span malformedExtract() {
        Span span = sampled.propagator.extract(malformedHeaders, GETTER).start();
        span.end();
        return span;
    }

    @Benchmark
    public Map<String, String> baggageInjectExtract() {
        Span span = sampled.propagator.extract(baggageHeaders, GETTER).start();
        Map<String, String> out = new HashMap<>();
        try (Tracer.SpanInScope ws = sampled.tracer.withSpan(span)) {
            sampled.propagator.inject(span.context(), out, SETTER);
        }
        span.end();
        return out;
    }

}
