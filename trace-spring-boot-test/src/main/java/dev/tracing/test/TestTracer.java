package dev.tracing.test;

import java.util.ArrayList;
import java.util.List;

import dev.tracing.core.Sampler;
import dev.tracing.core.ThreadLocalCurrentTraceContext;
import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import dev.tracing.export.SpanPipeline;
import dev.tracing.propagation.CompositePropagator;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.SpanExportingPredicate;
import io.micrometer.tracing.exporter.SpanFilter;
import io.micrometer.tracing.propagation.Propagator;

/**
 * This project's real tracer for a unit test of code that takes a Micrometer {@link Tracer},
 * without Spring: what OpenTracing's {@code MockTracer} was for, on the tracer production uses.
 * Finished spans go through the span filters and predicates you add, then to {@link #spans()}.
 * Strict by default: {@link #close()} (or {@link #verifyNothingLeftOpen()}) fails naming every
 * span started and not ended, and every scope opened and not closed, with where it was.
 *
 * <pre>{@code
 * try (TestTracer tracing = TestTracer.create()) {
 *     new OrderService(tracing.tracer()).placeOrder(42);
 *     TraceAssertions.assertThat(tracing.spans()).hasSpanNamed("place order").hasTag("order.id", "42");
 * }
 * }</pre>
 *
 * Or let {@link TestTracerExtension} hand one to each test method and check it afterwards.
 */
public final class TestTracer implements AutoCloseable {

    private final TraceTracer tracer;

    private final Propagator propagator;

    private final TestSpans spans;

    private final StrictTracing strict;

    private final ThreadLocalCurrentTraceContext currentTraceContext;

    private TestTracer(Builder builder) {
        this.spans = new TestSpans();
        this.strict = builder.strict ? new StrictTracing() : null;
        this.currentTraceContext = new ThreadLocalCurrentTraceContext(
                strict != null ? List.of(strict) : List.of());
        SpanPipeline pipeline = new SpanPipeline(builder.filters, builder.predicates, List.of(spans));
        this.tracer = Tracing.newBuilder()
            .serviceName(builder.serviceName)
            .sampler(builder.sampler)
            .currentTraceContext(currentTraceContext)
            .remoteFields(builder.remoteFields)
            .spanLifecycle(strict)
            .reporter(pipeline::report)
            .build();
        this.propagator = CompositePropagator.builder(tracer).remoteFields(builder.remoteFields).build();
    }

    /** A strict test tracer that records every span, as service {@code test}. */
    public static TestTracer create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The tracer to hand to the code under test. */
    public Tracer tracer() {
        return tracer;
    }

    /** W3C (and B3, when consuming) propagation with this tracer, as the starter configures it by default. */
    public Propagator propagator() {
        return propagator;
    }

    /** The spans finished so far. */
    public TestSpans spans() {
        return spans;
    }

    /**
     * Fails when a span was started and not ended, or a scope opened and not closed (waiting up to
     * two seconds for those of other threads), or the calling thread still has a current context.
     * @throws AssertionError naming each, with where it was started or opened
     */
    public void verifyNothingLeftOpen() {
        List<String> problems = new ArrayList<>();
        TraceContext left = currentTraceContext.context();
        if (left != null) {
            problems.add("the thread " + Thread.currentThread().getName() + " still has trace context "
                    + left.traceId() + "/" + left.spanId() + " (a scope was not closed)");
        }
        if (strict != null) {
            problems.addAll(strict.check(StrictTracing.DEFAULT_GRACE));
        }
        if (left != null) {
            // the leaked context would follow the thread into the next test: clear it, after the check,
            // so the clearing scope is not reported as one more
            currentTraceContext.newScope(null);
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(StrictFailures.message(problems));
        }
    }

    /**
     * Runs {@link #verifyNothingLeftOpen()} when strict; otherwise only clears a context left on the
     * calling thread, which would follow the thread into the next test (every tracer shares the
     * thread's current context).
     */
    @Override
    public void close() {
        if (strict != null) {
            verifyNothingLeftOpen();
        }
        else if (currentTraceContext.context() != null) {
            currentTraceContext.newScope(null);
        }
    }

    /** Configures a {@link TestTracer}. */
    public static final class Builder {

        private String serviceName = "test";

        private Sampler sampler = Sampler.ALWAYS_SAMPLE;

        private final List<SpanFilter> filters = new ArrayList<>();

        private final List<SpanExportingPredicate> predicates = new ArrayList<>();

        private List<String> remoteFields = List.of();

        private boolean strict = true;

        private Builder() {
        }

        public Builder serviceName(String serviceName) {
            this.serviceName = serviceName;
            return this;
        }

        /** Decides new root traces; default every one, so that tests see every span. */
        public Builder sampler(Sampler sampler) {
            this.sampler = sampler;
            return this;
        }

        /** A filter every finished span goes through, as the application's {@code SpanFilter} beans. */
        public Builder spanFilter(SpanFilter filter) {
            this.filters.add(filter);
            return this;
        }

        /** A predicate that may drop finished spans, as the application's {@code SpanExportingPredicate} beans. */
        public Builder spanExportingPredicate(SpanExportingPredicate predicate) {
            this.predicates.add(predicate);
            return this;
        }

        /** The baggage names that cross process boundaries. */
        public Builder remoteFields(List<String> remoteFields) {
            this.remoteFields = List.copyOf(remoteFields);
            return this;
        }

        /** Whether spans left open and scopes left unclosed fail {@link TestTracer#close()}; default true. */
        public Builder strict(boolean strict) {
            this.strict = strict;
            return this;
        }

        public TestTracer build() {
            return new TestTracer(this);
        }

    }

}
