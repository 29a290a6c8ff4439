package dev.tracing.instrument.observation;

import io.micrometer.observation.NullObservation;
import io.micrometer.observation.Observation;
import io.micrometer.observation.transport.ReceiverContext;
import io.micrometer.observation.transport.SenderContext;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;

/**
 * Turns every local Observation ({@code @Observed} methods, scheduled tasks, Spring Data, a
 * user's {@code Observation.createNotStarted(...).observe(...)}) into a span of this tracer: a
 * child of the current span, or of the enclosing Observation's span.
 *
 * <p>Design notes: Micrometer's handler, limited to the contexts that neither the sender and
 * receiver handlers nor {@link InstrumentedExchangeObservationHandler} claim. The four handlers
 * are disjoint, so each Observation gets one span whether Spring Boot registers them as one
 * first-match group (with its tracing module) or each on its own (without it).
 *
 * <p>Which parent: the enclosing Observation's span where Reactor restored an ancestor over
 * it, see {@link EnclosingObservation}; this handler tracks which Observations are still open.
 *
 * <p>A {@code NullObservation} (Micrometer's way of clearing the thread's Observation, which Reactor's
 * automatic propagation opens wherever a Reactor Context lacks the thread's Observation, several
 * times per request) is not this handler's: Micrometer's would clear the current span in its scope,
 * with a tracing context, its maps, a baggage copy and two MDC updates each time, and then our trace
 * context's accessor, restored from the same Reactor Context (or snapshot), would set it again. The
 * current span follows that accessor alone: restores through context-propagation set and clear it
 * as the source has or lacks a span, whatever happens to the Observation.
 */
public final class ObservationSpanHandler extends DefaultTracingObservationHandler {

    private final InstrumentedExchanges exchanges;

    public ObservationSpanHandler(Tracer tracer, InstrumentedExchanges exchanges) {
        super(tracer);
        this.exchanges = exchanges;
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
        return context != null && !(context instanceof SenderContext) && !(context instanceof ReceiverContext)
                && !(context instanceof NullObservation.NullContext) && !exchanges.covers(context);
    }

    @Override
    public TracingContext getTracingContext(Observation.Context context) {
        // ours first, so that Micrometer's finds it and keeps the rest of its bookkeeping
        context.computeIfAbsent(TracingContext.class, key -> new EnclosingObservation.Tracked());
        return super.getTracingContext(context);
    }

    @Override
    public void onStop(Observation.Context context) {
        if (context.get(TracingContext.class) instanceof EnclosingObservation.Tracked tracked) {
            tracked.stopped = true;
        }
        super.onStop(context);
    }

    @Override
    public void onScopeOpened(Observation.Context context) {
        super.onScopeOpened(context);
        if (context.get(TracingContext.class) instanceof EnclosingObservation.Tracked tracked && tracked.stopped) {
            EnclosingObservation.reopened(tracked);
        }
    }

    @Override
    public void onScopeClosed(Observation.Context context) {
        if (context.get(TracingContext.class) instanceof EnclosingObservation.Tracked tracked && tracked.stopped) {
            EnclosingObservation.closed(tracked);
        }
        super.onScopeClosed(context);
    }

    @Override
    public Span getParentSpan(Observation.ContextView context) {
        Span parent = EnclosingObservation.parentSpan(super.getParentSpan(context), context);
        if (context instanceof Observation.Context started
                && getTracingContext(started) instanceof EnclosingObservation.Tracked tracked) {
            // without a parent here, Micrometer starts the span as a child of the current one
            tracked.parent = parent != null ? parent : getTracer().currentSpan();
        }
        return parent;
    }

}
