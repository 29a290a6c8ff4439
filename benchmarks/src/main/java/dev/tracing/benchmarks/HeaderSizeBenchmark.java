package dev.tracing.benchmarks;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.micrometer.tracing.Span;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Extracting a valid {@code traceparent} beside an oversized {@code baggage} or
 * {@code tracestate} of 1 KB, 8 KB and 64 KB on our propagator. Parse time grows with the size
 * up to the specs' limits (8,192 baggage characters, 32 tracestate members) and is flat beyond
 * them; bytes/op stay near what is kept (one allowed baggage field; a tracestate of more than 32
 * members is dropped whole).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HeaderSizeBenchmark {

    static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Param({ "1024", "8192", "65536" })
    int size;

    @Param({ "baggage", "tracestate" })
    String header;

    private Propagator propagator;

    private Map<String, String> headers;

    @Setup(Level.Trial)
    public void setUp() {
        propagator = ComparedTracer.ours(true, span -> {
        }).propagator;
        headers = Map.of("traceparent", TRACEPARENT, header, "baggage".equals(header) ? baggage(size) : tracestate(size));
    }

    /** {@code tenant=acme} (allowed) followed by members that are not, up to {@code size} characters. */
    static String baggage(int size) {
        StringBuilder out = new StringBuilder("tenant=acme");
        while (out.length() < size) {
            out.append(",other").append(out.length()).append('=').append("x".repeat(40));
        }
        out.setLength(size);
        return out.toString();
    }

    /** Members of about 100 characters each, up to {@code size} characters. */
    static String tracestate(int size) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; out.length() < size; i++) {
            out.append(i == 0 ? "" : ",").append("k").append(i).append('=').append("v".repeat(96));
        }
        out.setLength(size);
        return out.toString();
    }

    @Benchmark
    public Span.Builder extract() {
        return propagator.extract(headers, Map::get);
    }

}
