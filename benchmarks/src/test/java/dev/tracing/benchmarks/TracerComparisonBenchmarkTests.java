package dev.tracing.benchmarks;

import java.util.Map;

import io.micrometer.tracing.Span;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Not a measurement: checks that each compared tracer does the work its benchmark claims, so the
 * comparison is of like with like (the same trace continued, the baggage carried, the malformed
 * header rejected, the unsampled parent unsampled).
 */
class TracerComparisonBenchmarkTests {

    @ParameterizedTest
    @ValueSource(strings = { "ours", "brave", "otel" })
    void everyTracerDoesTheSameWork(String tracer) throws Exception {
        TracerComparisonBenchmark benchmark = new TracerComparisonBenchmark();
        benchmark.tracer = tracer;
        benchmark.setUp();
        try {
            Map<String, String> w3c = benchmark.w3cInjectExtract();
            assertThat(w3c.get("traceparent")).startsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-").endsWith("-01");

            Span b3 = benchmark.b3SingleExtract();
            assertThat(b3.context().traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
            assertThat(b3.context().parentId()).isEqualTo("00f067aa0ba902b7");

            assertThat(benchmark.malformedExtract().context().traceId())
                .isNotEqualTo("4bf92f3577b34da6a3ce929d0e0e47zz");

            Map<String, String> baggage = benchmark.baggageInjectExtract();
            assertThat(baggage.get("traceparent")).startsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-");
            assertThat(baggage.get("baggage")).contains("tenant=acme", "region=eu-west-1", "user-tier=gold");

            Span root = benchmark.rootSpan();
            assertThat(root.context().sampled()).isTrue();
        }
        finally {
            benchmark.tearDown();
        }
    }

}
