package dev.tracing.context;

import java.util.ArrayDeque;
import java.util.Deque;

import io.micrometer.context.ThreadLocalAccessor;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.TraceContext;

/**
 * Lets {@code io.micrometer:context-propagation} (and so Reactor's context propagation) move the
 * current trace context between the Reactor Context and the thread: restoring a value opens a
 * scope, so the MDC follows; putting the previous value back closes that scope.
 *
 * <p>Design notes: the scopes opened here are kept on a per-thread stack and closed in reverse
 * order, on the thread that opened them, so a value restored around an operator never outlives
 * it and the thread is left as it was found. Setting the context the thread already has pushes
 * the shared no-op scope: no allocation, no MDC writes.
 */
public final class TraceContextThreadLocalAccessor implements ThreadLocalAccessor<TraceContext> {

    /** The key under which the current trace context lives in a Reactor Context. */
    public static final String KEY = "dev.tracing.context";

    private static final ThreadLocal<Deque<CurrentTraceContext.Scope>> scopes = ThreadLocal.withInitial(ArrayDeque::new);

    private final CurrentTraceContext currentTraceContext;

    /** Creates an accessor over {@code currentTraceContext}. */
    public TraceContextThreadLocalAccessor(CurrentTraceContext currentTraceContext) {
        this.currentTraceContext = currentTraceContext;
    }

    @Override
    public Object key() {
        return KEY;
    }

    @Override
    public TraceContext getValue() {
        return currentTraceContext.context();
    }

    @Override
    public void setValue(TraceContext value) {
        scopes.get().push(scope(value));
    }

    @Override
    public void setValue() {
        scopes.get().push(scope(null));
    }

    /**
     * A scope for {@code value}, or the no-op scope when the thread already has it: Reactor's
     * automatic propagation sets the value around each signal at each boundary, and most arrive
     * where an outer boundary already did.
     */
    private CurrentTraceContext.Scope scope(TraceContext value) {
        return value == currentTraceContext.context() ? CurrentTraceContext.Scope.NOOP
                : currentTraceContext.newScope(value);
    }

    @Override
    public void restore(TraceContext previousValue) {
        closeLatest();
    }

    @Override
    public void restore() {
        closeLatest();
    }

    private static void closeLatest() {
        CurrentTraceContext.Scope scope = scopes.get().poll();
        if (scope != null) {
            scope.close();
        }
    }
}
