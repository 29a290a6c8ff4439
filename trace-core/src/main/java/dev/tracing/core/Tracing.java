package dev.tracing.core;

import java.util.List;
import java.util.Objects;

import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.exporter.SpanReporter;

/**
 * Builds a {@link TraceTracer} from its parts, with defaults that suit a service: every trace
 * sampled, a thread-local current context with the trace ids (and the correlation fields) in the
 * MDC, spans dropped.
 */
public final class Tracing {

    private Tracing() {
    }

    /** Returns a builder with the defaults. */
    public static Builder newBuilder() {
        return new Builder();
    }

    /** The service name of a tracer built without one. */
    public static final String DEFAULT_SERVICE_NAME = "unknown";

    /** Configures a {@link TraceTracer}. */
    public static final class Builder {

        private String serviceName = DEFAULT_SERVICE_NAME;

        private Sampler sampler = Sampler.ALWAYS_SAMPLE;

        private CurrentTraceContext currentTraceContext;

        private SpanReporter reporter = span -> {
        };

        private TraceClock clock = TraceClock.SYSTEM;

        private List<String> remoteFields = List.of();

        private List<String> correlationFields = List.of();

        private Builder() {
        }

        /** The local service name on every span; default {@code unknown}. */
        public Builder serviceName(String serviceName) {
            this.serviceName = Objects.requireNonNull(serviceName, "serviceName");
            return this;
        }

        /** Decides new root traces; default every trace. */
        public Builder sampler(Sampler sampler) {
            this.sampler = Objects.requireNonNull(sampler, "sampler");
            return this;
        }

        /**
         * Where the current span lives; default a {@link ThreadLocalCurrentTraceContext} that
         * writes the trace ids and the correlation fields into the MDC ({@link MdcScopeDecorator}).
         */
        public Builder currentTraceContext(CurrentTraceContext currentTraceContext) {
            this.currentTraceContext = Objects.requireNonNull(currentTraceContext, "currentTraceContext");
            return this;
        }

        /** Receives every finished sampled span, typically a span pipeline; default drops them. */
        public Builder reporter(SpanReporter reporter) {
            this.reporter = Objects.requireNonNull(reporter, "reporter");
            return this;
        }

        /** The source of timestamps; default the system clock. */
        public Builder clock(TraceClock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The baggage names that may cross process boundaries. */
        public Builder remoteFields(List<String> remoteFields) {
            this.remoteFields = List.copyOf(remoteFields);
            return this;
        }

        /** The baggage names copied into the MDC, by the default current context. */
        public Builder correlationFields(List<String> correlationFields) {
            this.correlationFields = List.copyOf(correlationFields);
            return this;
        }

        /** Returns the tracer. */
        public TraceTracer build() {
            CurrentTraceContext current = currentTraceContext != null ? currentTraceContext
                    : new ThreadLocalCurrentTraceContext(List.of(new MdcScopeDecorator(correlationFields)));
            return new TraceTracer(current, sampler, reporter, clock, serviceName, remoteFields, correlationFields);
        }
    }
}
