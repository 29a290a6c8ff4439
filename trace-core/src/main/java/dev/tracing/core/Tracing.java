package dev.tracing.core;

import java.util.LinkedHashSet;
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

    /** Whether a tracer built without a choice keeps the sampling decision callers send: it does. */
    public static final boolean DEFAULT_RESPECT_INCOMING = true;

    /** The service name of a tracer built without one. */
    public static final String DEFAULT_SERVICE_NAME = "application";

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

        private List<String> tagFields = List.of();

        private boolean respectIncoming = DEFAULT_RESPECT_INCOMING;

        private SpanLimits spanLimits = SpanLimits.DEFAULTS;

        private SpanLifecycle spanLifecycle;

        private KeepPolicy keep = KeepPolicy.NONE;

        private Builder() {
        }

        /** The local service name on every span; default {@code application} ({@link #DEFAULT_SERVICE_NAME}). */
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

        /**
         * The source of timestamps; default the system clock. Its {@code nanoTime} also paces what
         * goes by time in the tracer: the rate limit of kept traces and how long a waiting trace may
         * wait for its root.
         */
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

        /**
         * The baggage names recorded as span tags, as Spring Boot's {@code
         * management.tracing.baggage.tag-fields}: a value set on a span's context, or put in scope
         * while the span is current ({@code createBaggageInScope}), is a tag of that span at once, and
         * a span whose own context carries a value when it ends (inherited, or from the caller's
         * headers) gets it as a tag then, replacing one of the same name.
         * @throws IllegalArgumentException when a name is blank
         */
        public Builder tagFields(List<String> tagFields) {
            BaggageFields.requireNames(tagFields);
            this.tagFields = List.copyOf(new LinkedHashSet<>(tagFields));
            return this;
        }

        /**
         * Whether a sampling decision that arrives with a remote context is kept (the default), or
         * the trace is continued under this tracer's own decision: what a service at the edge of the
         * internet wants, where a caller sending {@code traceparent ...-01} would otherwise make it
         * record every request, past the probability and the rate limit. The debug flag of B3 is a
         * caller's request too, and is then ignored.
         */
        public Builder respectIncoming(boolean respectIncoming) {
            this.respectIncoming = respectIncoming;
            return this;
        }

        /** What one span may hold at most; default {@link SpanLimits#DEFAULTS}. */
        public Builder spanLimits(SpanLimits spanLimits) {
            this.spanLimits = Objects.requireNonNull(spanLimits, "spanLimits");
            return this;
        }

        /** Told when each sampled span starts and ends (a test kit's check for spans left open); default none. */
        public Builder spanLifecycle(SpanLifecycle spanLifecycle) {
            this.spanLifecycle = spanLifecycle;
            return this;
        }

        /**
         * Which traces the sampler did not choose are kept all the same (failed or slow ones);
         * default {@link KeepPolicy#NONE}, which costs unsampled traces nothing.
         */
        public Builder keep(KeepPolicy keep) {
            this.keep = Objects.requireNonNull(keep, "keep");
            return this;
        }

        /** Returns the tracer. */
        public TraceTracer build() {
            CurrentTraceContext current = currentTraceContext != null ? currentTraceContext
                    : new ThreadLocalCurrentTraceContext(List.of(new MdcScopeDecorator(correlationFields)));
            return new TraceTracer(current, sampler, reporter, clock, serviceName, remoteFields, correlationFields,
                    tagFields, respectIncoming, spanLimits, spanLifecycle, keep);
        }
    }
}
