package dev.tracing.core;

import java.util.Set;

import io.micrometer.tracing.Baggage;
import io.micrometer.tracing.BaggageInScope;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.TraceContext;
import org.slf4j.MDC;

/**
 * One baggage field, read from and written to a span context: the current one, or the one
 * passed in.
 *
 * <p>Design notes: a value lives in the context's {@link BaggageFields}, so it follows the span
 * into its children and, for names in {@code trace.baggage.remote-fields}, across process
 * boundaries. {@link #makeCurrent()} sets the value on the current context and the scope it
 * returns puts the previous value back, mirroring how span scopes nest; correlation fields are
 * mirrored into the MDC for the same extent. Without a current context there is nowhere to keep
 * a value and it is dropped.
 */
final class TraceBaggage implements Baggage, BaggageInScope {

    private final String name;

    private final CurrentTraceContext currentTraceContext;

    private final Set<String> correlationFields;

    private final SpanContext boundContext;

    private SpanContext scopedContext;

    private String previousValue;

    private String previousMdc;

    private boolean inScope;

    TraceBaggage(String name, CurrentTraceContext currentTraceContext, Set<String> correlationFields) {
        this(name, currentTraceContext, correlationFields, null);
    }

    /** A field bound to {@code boundContext}: reads and writes go there instead of the current context. */
    TraceBaggage(String name, CurrentTraceContext currentTraceContext, Set<String> correlationFields,
            SpanContext boundContext) {
        this.name = name;
        this.currentTraceContext = currentTraceContext;
        this.correlationFields = correlationFields;
        this.boundContext = boundContext;
    }

    private SpanContext current() {
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

    @Override
    public String get(TraceContext traceContext) {
        SpanContext context = SpanContext.from(traceContext);
        BaggageFields fields = context == null ? null : context.baggage();
        return fields == null ? null : fields.get(name);
    }

    @Override
    public Baggage set(String value) {
        return set(current(), value);
    }

    @Override
    public Baggage set(TraceContext traceContext, String value) {
        SpanContext context = SpanContext.from(traceContext);
        if (context != null) {
            context.baggageForUpdate().put(name, value);
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

    @Override
    public BaggageInScope makeCurrent(TraceContext traceContext, String value) {
        SpanContext context = SpanContext.from(traceContext);
        TraceBaggage scoped = new TraceBaggage(name, currentTraceContext, correlationFields);
        if (context == null) {
            return scoped;
        }
        BaggageFields fields = context.baggageForUpdate();
        scoped.scopedContext = context;
        scoped.previousValue = fields.get(name);
        scoped.inScope = true;
        fields.put(name, value);
        if (correlationFields.contains(name)) {
            scoped.previousMdc = MDC.get(name);
            if (value == null) {
                MDC.remove(name);
            }
            else {
                MDC.put(name, value);
            }
        }
        return scoped;
    }

    @Override
    public void close() {
        if (!inScope) {
            return;
        }
        inScope = false;
        scopedContext.baggageForUpdate().put(name, previousValue);
        if (correlationFields.contains(name)) {
            if (previousMdc == null) {
                MDC.remove(name);
            }
            else {
                MDC.put(name, previousMdc);
            }
        }
    }

    @Override
    public String toString() {
        return "Baggage{" + name + "}";
    }
}
