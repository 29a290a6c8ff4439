package dev.tracing.core;

import java.util.LinkedHashSet;
import java.util.List;

import dev.tracing.internal.LogText;
import io.micrometer.tracing.TraceContext;
import org.slf4j.MDC;

/**
 * Keeps the SLF4J MDC in step with the current context: {@code traceId}, {@code spanId} and the
 * configured correlation baggage fields while a scope is open, and exactly what was there before
 * once it closes.
 *
 * <p>Correlation values lose their control characters on the way in: a caller chooses baggage.
 *
 * <p>Design notes: the previous values are read and restored one by one, so nested scopes and
 * values a user put in the MDC under the same keys come back as they were. A key whose value
 * does not change is not written, which keeps nested scopes in the same span nearly free. When
 * the thread had no ids before (the usual case when Reactor restores a context around an
 * operator on an event-loop thread), the undo is one shared instance that removes them, so such
 * a scope allocates nothing here. Correlation fields are put back at every scope's close, changed
 * or not: a baggage value set on the current context while the scope is open goes into the MDC at
 * once ({@link #flush}), so the close must put back what was there before it. Where no correlation
 * value was in the MDC before (a thread's outermost scope, or no baggage value at all), that is a
 * shared undo that removes them; else a small array per scope (each nested scope of a trace with
 * a correlated value), only where correlation fields are configured.
 */
public final class MdcScopeDecorator implements ScopeDecorator {

    /** The MDC key of the trace id, as Spring Boot's default log pattern expects. */
    public static final String TRACE_ID = "traceId";

    /** The MDC key of the span id, as Spring Boot's default log pattern expects. */
    public static final String SPAN_ID = "spanId";

    /** Undoes a scope that set both ids where there were none, and changed no correlation field. */
    private static final Runnable REMOVE_IDS = () -> {
        MDC.remove(TRACE_ID);
        MDC.remove(SPAN_ID);
    };

    private final String[] correlationFields;

    /** Undoes a scope on a thread whose MDC had no correlation value and whose ids it did not change. */
    private final Runnable removeFields;

    /** Undoes a scope that set both ids where there were none, on a thread whose MDC had no correlation value. */
    private final Runnable removeIdsAndFields;

    /**
     * Creates a decorator that also copies the given baggage fields into the MDC.
     * @throws IllegalArgumentException when a name is blank or is one of the MDC keys of the ids
     */
    public MdcScopeDecorator(List<String> correlationFields) {
        BaggageFields.requireNames(correlationFields);
        for (String name : correlationFields) {
            if (TRACE_ID.equals(name) || SPAN_ID.equals(name)) {
                throw new IllegalArgumentException("must not name traceId or spanId: the MDC keys of the trace ids");
            }
        }
        // a name listed twice would record, and put back, the value its first copy had just written
        String[] fields = new LinkedHashSet<>(correlationFields).toArray(new String[0]);
        this.correlationFields = fields;
        this.removeFields = () -> {
            for (String field : fields) {
                MDC.remove(field);
            }
        };
        this.removeIdsAndFields = () -> {
            REMOVE_IDS.run();
            removeFields.run();
        };
    }

    /** Returns the baggage fields copied into the MDC. */
    public List<String> correlationFields() {
        return List.of(correlationFields);
    }

    @Override
    public Runnable decorate(TraceContext context) {
        String traceId = context == null ? null : context.traceId();
        String spanId = context == null ? null : context.spanId();
        String previousTraceId = MDC.get(TRACE_ID);
        String previousSpanId = MDC.get(SPAN_ID);
        boolean traceChanged = replace(TRACE_ID, previousTraceId, traceId);
        boolean spanChanged = replace(SPAN_ID, previousSpanId, spanId);
        // every field is put back at close, changed or not (a value flushed while the scope is open);
        // an array only when one had a value before, else the shared undo that removes them
        boolean hasFields = correlationFields.length > 0;
        String[] previousFields = null;
        if (hasFields) {
            BaggageFields baggage = context instanceof SpanContext ? ((SpanContext) context).baggage() : null;
            for (int i = 0; i < correlationFields.length; i++) {
                String name = correlationFields[i];
                String previous = MDC.get(name);
                replace(name, previous, baggage == null ? null : printable(baggage.get(name)));
                if (previous != null) {
                    if (previousFields == null) {
                        previousFields = new String[correlationFields.length];
                    }
                    previousFields[i] = previous;
                }
            }
        }
        if (previousFields == null) {
            if (!traceChanged && !spanChanged) {
                return hasFields ? removeFields : null;
            }
            if (traceChanged && spanChanged && previousTraceId == null && previousSpanId == null) {
                return hasFields ? removeIdsAndFields : REMOVE_IDS;
            }
        }
        String[] fieldsToRestore = previousFields;
        return () -> {
            if (traceChanged) {
                restore(TRACE_ID, previousTraceId);
            }
            if (spanChanged) {
                restore(SPAN_ID, previousSpanId);
            }
            for (int i = 0; i < correlationFields.length; i++) {
                restore(correlationFields[i], fieldsToRestore == null ? null : fieldsToRestore[i]);
            }
        };
    }

    /**
     * Writes a correlation field's new value into the MDC, when a baggage value of the current
     * context changed while its scope is open; the scope's close puts back what was there before it.
     */
    static void flush(String name, String value) {
        restore(name, printable(value));
    }

    private static boolean replace(String key, String previous, String value) {
        if (value == null ? previous == null : value.equals(previous)) {
            return false;
        }
        restore(key, value);
        return true;
    }

    /** Sets {@code key} to {@code value} in the MDC, or removes it when {@code value} is null. */
    static void restore(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        }
        else {
            MDC.put(key, value);
        }
    }

    /** Returns {@code value} without control characters: a remote caller chooses baggage values. */
    static String printable(String value) {
        return LogText.withoutControls(value);
    }

}
