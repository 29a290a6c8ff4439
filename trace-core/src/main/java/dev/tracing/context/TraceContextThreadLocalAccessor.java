package dev.tracing.context;

import java.util.ArrayDeque;
import java.util.Deque;

import dev.tracing.core.ThreadLocalCurrentTraceContext;
import io.micrometer.context.ThreadLocalAccessor;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.TraceContext;

/**
 * Lets {@code io.micrometer:context-propagation} (and so Reactor's context propagation) move the
 * current trace context between the Reactor Context and the thread: restoring a value opens a
 * scope, so the MDC follows; putting the previous value back closes that scope.
 *
 * <p>Design notes: what is set here is put back in reverse order, on the thread that set it, so a
 * value restored around an operator never outlives it and the thread is left as it was found.
 * Over this project's {@link ThreadLocalCurrentTraceContext} that is its {@code push}/{@code pop},
 * which keep the replaced context in the thread's holder: Reactor sets and puts back the context
 * dozens of times per request, and a scope object each time was a tenth of what tracing
 * allocated per request. Over another {@link CurrentTraceContext}, the scopes are kept on a
 * per-thread stack. Setting the context the thread already has changes nothing: no MDC writes.
 */
public final class TraceContextThreadLocalAccessor implements ThreadLocalAccessor<Object> {

    /** The key under which the current trace context lives in a Reactor Context. */
    public static final String KEY = "dev.tracing.context";

    private static final ThreadLocal<Deque<CurrentTraceContext.Scope>> scopes = ThreadLocal.withInitial(ArrayDeque::new);

    private final CurrentTraceContext currentTraceContext;

    /** {@link #currentTraceContext} when it is this project's, which sets and puts back without scope objects. */
    private final ThreadLocalCurrentTraceContext threadLocal;

    /** Creates an accessor over {@code currentTraceContext}. */
    public TraceContextThreadLocalAccessor(CurrentTraceContext currentTraceContext) {
        this.currentTraceContext = currentTraceContext;
        this.threadLocal = currentTraceContext instanceof ThreadLocalCurrentTraceContext ours ? ours : null;
    }

    @Override
    public Object key() {
        return KEY;
    }

    @Override
    public TraceContext getValue() {
        return currentTraceContext.context();
    }

    /**
     * Makes {@code value} current. A value that is no trace context (the {@code Span} written under
     * {@link #KEY} instead of its context, say) means no trace: typed as a trace context, the value
     * was cast before this ran, and the cast failed every operator of the chain.
     */
    @Override
    public void setValue(Object value) {
        set(value instanceof TraceContext context ? context : null);
    }

    @Override
    public void setValue() {
        set(null);
    }

    private void set(TraceContext value) {
        if (value instanceof ObservationLeftOut left) {
            // set by a snapshot factory other than ours
            value = left.trace();
        }
        if (value == null) {
            // no trace in the Reactor Context, but maybe an Observation Micrometer's accessor, registered
            // before this one, just opened (a tap(Micrometer.observation(..)) outside a request): its span
            value = EnclosedObservation.openSpanOf(ObservationThreadLocalAccessor.getInstance().getValue());
        }
        else if (value != currentTraceContext.context()) {
            // Micrometer's accessor may just have opened an Observation started inside this span: its span
            // stays current
            value = EnclosedObservation.innermost(value, ObservationThreadLocalAccessor.getInstance().getValue());
        }
        if (threadLocal != null) {
            threadLocal.push(value);
        }
        else {
            scopes.get().push(scope(value));
        }
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
    public void restore(Object previousValue) {
        putBack();
    }

    @Override
    public void restore() {
        putBack();
    }

    private void putBack() {
        if (threadLocal != null) {
            threadLocal.pop();
            return;
        }
        CurrentTraceContext.Scope scope = scopes.get().poll();
        if (scope != null) {
            scope.close();
        }
    }
}
