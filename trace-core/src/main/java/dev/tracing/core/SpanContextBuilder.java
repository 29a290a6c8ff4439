package dev.tracing.core;

import io.micrometer.tracing.TraceContext;

/**
 * Builds a context from hex ids, e.g. to continue a trace whose ids arrived outside a header.
 * Invalid ids build {@link TraceContext#NOOP}, which starts no trace.
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
        return context == null ? TraceContext.NOOP : context;
    }
}
