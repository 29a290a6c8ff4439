package dev.tracing.instrument.observation;

import java.util.ArrayList;
import java.util.List;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationView;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.handler.TracingObservationHandler.TracingContext;

/**
 * The parent of an Observation's span when the thread's current span and the enclosing
 * Observation disagree.
 *
 * <p>Micrometer prefers a current span that differs from the enclosing Observation's span,
 * taking it for one the user made inside the Observation. In a reactive chain with automatic
 * propagation the current span is often an <em>ancestor</em> instead: Reactor opens the enclosing
 * Observation's scope, then restores the request's span from the Reactor Context over it, so every
 * nested Observation (Spring Security's authentication inside its filter chain) would become a
 * child of the request. Here the enclosing Observation wins when it is still open and the current
 * span is one of its ancestors; a span the user made inside it keeps Micrometer's choice. A stopped
 * enclosing Observation encloses nothing: where its span is still the current one (restored around
 * the signal in which it stopped), what starts after it is a child of its own parent's span, as
 * Spring Security's "secured request" is a sibling of its filter chain's first section (also when
 * the request's Observation above them is a no-op: then the parent the section's span started
 * with). A scope of a stopped Observation that opened <em>after</em> it stopped is different:
 * context propagation restored the Observation where it had been captured (a task decorator
 * running fire-and-forget work late), and what starts there is its child, as Micrometer chooses.
 *
 * <p>Design notes: "open" is known only for Observations that {@link ObservationSpanHandler}
 * traces, through its {@link Tracked} context, which it marks on stop. Ancestry is read from span
 * parent ids up the chain of enclosing Observations, which is shallow, so the walk is bounded.
 */
final class EnclosingObservation {

    /** How many enclosing Observations are searched for the current span. */
    private static final int MAX_ANCESTORS = 8;

    /** On each thread, the stopped Observations whose scope opened there after they stopped, while open. */
    private static final ThreadLocal<List<Tracked>> REOPENED = new ThreadLocal<>();

    private EnclosingObservation() {
    }

    /**
     * Returns the span of the open enclosing Observation when {@code chosen}, Micrometer's choice,
     * is one of its ancestors; the span of the enclosing Observation's own parent when
     * {@code chosen} is the span of an enclosing Observation that has stopped (a stopped
     * Observation encloses nothing); otherwise {@code chosen}.
     */
    static Span parentSpan(Span chosen, Observation.ContextView context) {
        ObservationView enclosing = context.getParentObservation();
        if (chosen == null || enclosing == null || context.get(TracingContext.class) != null) {
            return chosen;
        }
        if (enclosing.getContextView().get(TracingContext.class) instanceof Tracked tracked && tracked.stopped
                && chosen.equals(tracked.getSpan()) && !reopenedHere(tracked)) {
            ObservationView above = enclosing.getContextView().getParentObservation();
            Object tracing = above != null ? above.getContextView().get(TracingContext.class) : null;
            Span aboveSpan = tracing instanceof TracingContext aboveTracing ? aboveTracing.getSpan() : null;
            if (aboveSpan != null) {
                return aboveSpan;
            }
            // no span above (no enclosing Observation, or a no-op one): the parent the section's span started with
            return tracked.parent != null ? tracked.parent : chosen;
        }
        Span enclosingSpan = openSpanOf(enclosing);
        if (enclosingSpan == null || enclosingSpan.equals(chosen) || !isAncestor(chosen, enclosing)) {
            return chosen;
        }
        return enclosingSpan;
    }

    /**
     * Notes that the scope of {@code tracked}'s Observation opened on this thread after it stopped: context
     * propagation (a task decorator, Reactor) restored it where it was captured, so what starts in that
     * scope is the Observation's work, done late, and its child.
     */
    static void reopened(Tracked tracked) {
        List<Tracked> reopened = REOPENED.get();
        if (reopened == null) {
            reopened = new ArrayList<>(2);
            REOPENED.set(reopened);
        }
        reopened.add(tracked);
    }

    /** Notes that a scope of {@code tracked}'s stopped Observation closed on this thread. */
    static void closed(Tracked tracked) {
        List<Tracked> reopened = REOPENED.get();
        if (reopened == null) {
            return;
        }
        // the last one: scopes close in reverse order; one opened before the stop was never added
        for (int i = reopened.size() - 1; i >= 0; i--) {
            if (reopened.get(i) == tracked) {
                reopened.remove(i);
                break;
            }
        }
        if (reopened.isEmpty()) {
            REOPENED.remove();
        }
    }

    /** Whether a scope of {@code tracked}'s Observation that opened after it stopped is open on this thread. */
    private static boolean reopenedHere(Tracked tracked) {
        List<Tracked> reopened = REOPENED.get();
        return reopened != null && reopened.contains(tracked);
    }

    /** The span of a tracked Observation that has not stopped, or null. */
    private static Span openSpanOf(ObservationView observation) {
        Object tracing = observation.getContextView().get(TracingContext.class);
        if (tracing instanceof Tracked tracked && !tracked.stopped) {
            return tracked.getSpan();
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

    /** The tracing state of an Observation that also says whether it has stopped, and its span's parent. */
    static final class Tracked extends TracingContext {

        volatile boolean stopped;

        volatile Span parent;

    }

}
