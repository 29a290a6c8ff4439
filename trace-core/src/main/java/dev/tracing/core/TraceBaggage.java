package dev.tracing.core;

import io.micrometer.tracing.Baggage;
import io.micrometer.tracing.BaggageInScope;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.TraceContext;

/**
 * One baggage field, read from and written to a span context: the current one, or the one
 * passed in.
 *
 * <p>Design notes: a value lives in the context's {@link BaggageFields}, so it follows the span
 * into its children and, for names in {@code trace.baggage.remote-fields}, across process
 * boundaries. {@link #makeCurrent()} does not touch the span's own baggage: it makes current a
 * copy of the context (the same span) whose baggage has the value, and closing it brings the
 * previous context back. So two threads sharing one span can each scope their own value, and
 * the MDC's correlation fields follow through the ordinary scope decorators. Without a current
 * context there is nowhere to keep a value and it is dropped.
 */
final class TraceBaggage implements Baggage, BaggageInScope {

    private final String name;

    private final CurrentTraceContext currentTraceContext;

    private final SpanContext boundContext;

    private SpanContext scopedContext;

    private CurrentTraceContext.Scope scope;

    /** The id of the thread that opened {@link #scope}: only a close there is done with it. */
    private long openedOn;

    /** Whether the MDC holds this field's value while a scope is open ({@code correlation-fields}). */
    private final boolean inMdc;

    /** Whether a value set or put in scope is a tag of the span it goes to ({@code tag-fields}). */
    private final boolean tagged;

    TraceBaggage(String name, CurrentTraceContext currentTraceContext, boolean inMdc, boolean tagged) {
        this(name, currentTraceContext, inMdc, tagged, null);
    }

    /** A field bound to {@code boundContext}: reads and writes go there instead of the current context. */
    TraceBaggage(String name, CurrentTraceContext currentTraceContext, boolean inMdc, boolean tagged,
            SpanContext boundContext) {
        this.name = name;
        this.currentTraceContext = currentTraceContext;
        this.inMdc = inMdc;
        this.tagged = tagged;
        this.boundContext = boundContext;
    }

    private SpanContext current() {
        if (scopedContext != null) {
            return scopedContext;
        }
        return boundContext != null ? boundContext : SpanContext.from(currentTraceContext.context());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String get() {
        return get(current());
    }

    /**
     * The value in {@code traceContext}, or in the copy of it that carries a scoped value: this
     * scope's, or the current one when it is the same span.
     */
    @Override
    public String get(TraceContext traceContext) {
        SpanContext scoped = scopedContext;
        SpanContext context = scoped != null && scoped.equals(traceContext) ? scoped
                : TraceTracer.resolve(currentTraceContext, traceContext);
        BaggageFields fields = context == null ? null : context.baggage();
        return fields == null ? null : fields.get(name);
    }

    @Override
    public Baggage set(String value) {
        return set(current(), value);
    }

    /**
     * Sets the value in {@code traceContext}; when that is the current context and the field is a
     * correlation field, the MDC shows the new value at once (until the scope closes), as Boot's
     * Brave and OpenTelemetry configurations do.
     */
    @Override
    public Baggage set(TraceContext traceContext, String value) {
        SpanContext context = SpanContext.from(traceContext);
        if (context != null) {
            context.baggageForUpdate().put(name, value);
            if (inMdc && currentTraceContext.context() == context) {
                MdcScopeDecorator.flush(name, value);
            }
            if (tagged) {
                tag(context, value);
            }
        }
        return this;
    }

    @Override
    public BaggageInScope makeCurrent() {
        return makeCurrent(current(), get());
    }

    @Override
    public BaggageInScope makeCurrent(String value) {
        return makeCurrent(current(), value);
    }

    /**
     * Makes a copy of {@code traceContext} with the value current; when that is the current span, a copy of
     * the current context, so that values already in scope for it stay (Micrometer opens one such scope per
     * baggage key value of an Observation, each given the Observation's span context).
     */
    @Override
    public BaggageInScope makeCurrent(TraceContext traceContext, String value) {
        SpanContext context = TraceTracer.resolve(currentTraceContext, traceContext);
        TraceBaggage scoped = new TraceBaggage(name, currentTraceContext, inMdc, tagged, context);
        if (context == null) {
            return scoped;
        }
        // a copy of the context carries the value, so other threads sharing the span never see it
        BaggageFields existing = context.baggage();
        BaggageFields fields = existing == null ? BaggageFields.empty() : existing.copy();
        fields.put(name, value);
        SpanContext withValue = context.withBaggage(fields);
        if (tagged) {
            // the copy is the same span: its tag now, as the span's own context may never carry the value
            tag(withValue, value);
        }
        scoped.scopedContext = withValue;
        scoped.scope = currentTraceContext.newScope(withValue);
        scoped.openedOn = Thread.currentThread().getId();
        return scoped;
    }

    /** Tags the span of {@code context} with the value, where it is recording and the value is one. */
    private void tag(SpanContext context, String value) {
        RecordedSpan record = context.record;
        if (record != null && value != null) {
            record.tag(name, value);
        }
    }

    @Override
    public void close() {
        CurrentTraceContext.Scope open = scope;
        if (open != null) {
            // kept for the opening thread where another thread closes it: that close is ignored
            if (Thread.currentThread().getId() == openedOn) {
                scope = null;
            }
            open.close();
        }
    }

    @Override
    public String toString() {
        return "Baggage{" + name + "}";
    }
}
