package dev.tracing.instrument.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationView;
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
 * <p>Which parent: Micrometer prefers a current span that differs from the enclosing
 * Observation's span, taking it for one the user made inside the Observation. In a reactive
 * chain with automatic propagation the current span is often an <em>ancestor</em> instead:
 * Reactor restores the request's span from the Reactor Context after the enclosing Observation,
 * so every nested Observation (Spring Security's authentication inside its filter chain) would
 * become a child of the request. This handler gives way to the enclosing Observation when it is
 * still open and the current span is one of its ancestors; a span the user made inside it, or a
 * stopped enclosing Observation, keeps Micrometer's choice.
 */
public final class ObservationSpanHandler extends DefaultTracingObservationHandler {

    /** How many enclosing Observations are searched for the current span; nesting is shallow. */
    private static final int MAX_ANCESTORS = 8;

    private final InstrumentedExchanges exchanges;

    public ObservationSpanHandler(Tracer tracer, InstrumentedExchanges exchanges) {
        super(tracer);
        this.exchanges = exchanges;
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
        return context != null && !(context instanceof SenderContext) && !(context instanceof ReceiverContext)
                && !exchanges.covers(context);
    }

    @Override
    public TracingContext getTracingContext(Observation.Context context) {
        // ours first, so that Micrometer's finds it and keeps the rest of its bookkeeping
        context.computeIfAbsent(TracingContext.class, key -> new ObservedSpan());
        return super.getTracingContext(context);
    }

    @Override
    public void onStop(Observation.Context context) {
        if (context.get(TracingContext.class) instanceof ObservedSpan observed) {
            observed.stopped = true;
        }
        super.onStop(context);
    }

    @Override
    public Span getParentSpan(Observation.ContextView context) {
        Span chosen = super.getParentSpan(context);
        ObservationView enclosing = context.getParentObservation();
        if (chosen == null || enclosing == null || context.get(TracingContext.class) != null) {
            return chosen;
        }
        Span enclosingSpan = openSpanOf(enclosing);
        if (enclosingSpan == null || enclosingSpan.equals(chosen) || !isAncestor(chosen, enclosing)) {
            return chosen;
        }
        return enclosingSpan;
    }

    /** The span of an Observation this handler started and has not stopped, or null. */
    private static Span openSpanOf(ObservationView observation) {
        Object tracing = observation.getContextView().get(TracingContext.class);
        if (tracing instanceof ObservedSpan observed && !observed.stopped) {
            return observed.getSpan();
        }
        return null;
    }

    /** Whether {@code candidate} is the parent of the span of {@code observation} or of one enclosing it. */
    private static boolean isAncestor(Span candidate, ObservationView observation) {
        String traceId = candidate.context().traceId();
        String spanId = candidate.context().spanId();
        ObservationView current = observation;
        for (int i = 0; i < MAX_ANCESTORS && current != null; i++) {
            Object tracing = current.getContextView().get(TracingContext.class);
            Span span = tracing instanceof TracingContext context ? context.getSpan() : null;
            if (span == null || !traceId.equals(span.context().traceId())) {
                return false;
            }
            if (spanId.equals(span.context().parentId())) {
                return true;
            }
            current = current.getContextView().getParentObservation();
        }
        return false;
    }

    /**
     * The tracing state of an Observation this handler traces, which also says whether it has
     * stopped: a stopped Observation no longer encloses what starts after it.
     */
    static final class ObservedSpan extends TracingContext {

        volatile boolean stopped;

    }

}
