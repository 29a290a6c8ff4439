package dev.tracing.core;

import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.ScopedSpan;

/** A span that is current from its start until {@link #end()}, which must run on the same thread. */
final class TraceScopedSpan implements ScopedSpan {

    private final TraceSpan span;

    private final CurrentTraceContext.Scope scope;

    TraceScopedSpan(TraceSpan span, CurrentTraceContext.Scope scope) {
        this.span = span;
        this.scope = scope;
    }

    @Override
    public boolean isNoop() {
        return span.isNoop();
    }

    @Override
    public SpanContext context() {
        return span.context();
    }

    @Override
    public ScopedSpan name(String name) {
        span.name(name);
        return this;
    }

    @Override
    public ScopedSpan tag(String key, String value) {
        span.tag(key, value);
        return this;
    }

    @Override
    public ScopedSpan event(String value) {
        span.event(value);
        return this;
    }

    @Override
    public ScopedSpan error(Throwable throwable) {
        span.error(throwable);
        return this;
    }

    @Override
    public void end() {
        try {
            scope.close();
        }
        finally {
            span.end();
        }
    }

    @Override
    public String toString() {
        return "TraceScopedSpan{" + span.context() + "}";
    }
}
