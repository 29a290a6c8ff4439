package dev.tracing.core;

import io.micrometer.tracing.TraceContext;

/**
 * Builds a context from hex ids, e.g. to continue a trace whose ids arrived outside a header. It
 * is an incoming context, as one extracted from a header is (and as OpenTelemetry's bridge builds
 * it): a span started from it is a local root, whose sampling follows {@code respect-incoming} and
 * whose trace a keep policy can keep. Invalid ids build {@link TraceContext#NOOP}, which starts no
 * trace.
 */
final class SpanContextBuilder implements TraceContext.Builder {

    private String traceId;

    private String parentId;

    private String spanId;

    private Boolean sampled;

    @Override
    public TraceContext.Builder traceId(String traceId) {
        this.traceId = traceId;
        return this;
    }

    @Override
    public TraceContext.Builder parentId(String parentId) {
        this.parentId = parentId;
        return this;
    }

    @Override
    public TraceContext.Builder spanId(String spanId) {
        this.spanId = spanId;
        return this;
    }

    @Override
    public TraceContext.Builder sampled(Boolean sampled) {
        this.sampled = sampled;
        return this;
    }

    @Override
    public TraceContext build() {
        String t = traceId;
        String p = parentId;
        String s = spanId;
        Boolean sampledDecision = sampled;
        SpanContext context = SpanContext.from(new TraceContext() {
            @Override
            public String traceId() {
                return t;
            }

            @Override
            public String parentId() {
                return p;
            }

            @Override
            public String spanId() {
                return s;
            }

            @Override
            public Boolean sampled() {
                return sampledDecision;
            }
        });
        if (context == null) {
            return TraceContext.NOOP;
        }
        // ids from elsewhere are a caller's, as a header's are: a span started from them is a local root
        SpanContext incoming = SpanContext.remote(context.traceIdHigh(), context.traceIdLow(), context.parentIdAsLong(),
                context.spanIdAsLong(), context.sampled(), false);
        return incoming == null ? TraceContext.NOOP : incoming;
    }
}
