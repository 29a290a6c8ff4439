package dev.tracing.context;

import dev.tracing.core.SpanContext;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationView;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.handler.TracingObservationHandler.TracingContext;

/**
 * The span of an Observation opened inside the span a Reactor Context carries, as Reactor's
 * {@code tap(Micrometer.observation(registry))} opens one around part of a chain: inside that
 * part, the Observation's span is the current one (log lines, a WebClient call's parent), not the
 * request's span that the Context also carries.
 *
 * <p>Design notes: the Observation counts only when its span is in the same trace, still open
 * (an Observation that has stopped can linger in a Context, as Spring Security's filter-chain
 * sections do), and descends from the carried span (its parent, or the parent of an enclosing
 * Observation's span, up a few levels); an Observation that encloses the carried span, or has no
 * span, changes nothing. Asked
 * only where the carried span is about to replace another one on the thread, so the common
 * restore, where the thread already has it, costs nothing more.
 */
final class EnclosedObservation {

    /** How many enclosing Observations are searched for the carried span. */
    private static final int MAX_DEPTH = 8;

    private EnclosedObservation() {
    }

    /**
     * Returns the context of {@code observation}'s span when it descends from {@code carried},
     * else {@code carried}.
     */
    static TraceContext innermost(TraceContext carried, Object observation) {
        if (carried == null || !(observation instanceof Observation open)) {
            return carried;
        }
        TraceContext own = spanContext(open);
        if (own == null || own == carried || !carried.traceId().equals(own.traceId())
                || carried.spanId().equals(own.spanId())
                || (own instanceof SpanContext ours && !ours.isRecording())) {
            return carried;
        }
        String carriedSpanId = carried.spanId();
        ObservationView view = open;
        for (int depth = 0; depth < MAX_DEPTH && view != null; depth++) {
            TraceContext context = spanContext(view);
            if (context != null && carriedSpanId.equals(context.parentId())) {
                return own;
            }
            view = view.getContextView().getParentObservation();
        }
        return carried;
    }

    /**
     * The context of {@code observation}'s span while that span is open: what is current inside an
     * Observation a Reactor Context carries without a trace of its own. Null when it is no
     * Observation, has no span, or its span has ended (a stopped Observation lingering in a Context).
     */
    static TraceContext openSpanOf(Object observation) {
        TraceContext own = spanContextOf(observation);
        return own instanceof SpanContext ours && !ours.isRecording() ? null : own;
    }

    /** The context of {@code observation}'s span, or null when it is no Observation or has no span. */
    static TraceContext spanContextOf(Object observation) {
        return observation instanceof Observation open ? spanContext(open) : null;
    }

    private static TraceContext spanContext(ObservationView observation) {
        TracingContext tracing = observation.getContextView().get(TracingContext.class);
        Span span = tracing != null ? tracing.getSpan() : null;
        return span != null ? span.context() : null;
    }

}
