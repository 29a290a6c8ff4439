package dev.tracing.core;

/**
 * The spans of one local trace that the sampler did not choose, recorded in case the
 * {@link KeepPolicy} keeps it. Ended spans wait here until the local root ends; then all of them
 * are reported (and any that end later follow at once) or all are dropped.
 *
 * <p>Design notes: a trace is both locked and kept in the tracer's concurrent set of waiting
 * traces, so it has a hash code of its own: the identity hash of an object whose monitor is taken
 * makes the JVM inflate that monitor, which more than doubled the cost of recording a trace. The
 * ended spans wait in a list threaded through the spans themselves ({@link RecordedSpan#nextWaiting}),
 * not in a collection: two objects fewer per trace, on a path that most traces take and then drop.
 */
final class PendingTrace {

    private static final int OPEN = 0;

    private static final int KEPT = 1;

    private static final int DROPPED = 2;

    private final TraceTracer tracer;

    /** The local root, whose end decides; set once, right after creation, by the creating thread. */
    RecordedSpan root;

    /** The ended spans waiting, oldest first, linked through {@link RecordedSpan#nextWaiting}. */
    private RecordedSpan firstEnded;

    private RecordedSpan lastEnded;

    private int endedCount;

    private int state = OPEN;

    final long createdNanos;

    PendingTrace(TraceTracer tracer) {
        this.tracer = tracer;
        this.createdNanos = tracer.clock().nanoTime();
    }

    /** Spread by the creation time; equality stays identity. */
    @Override
    public int hashCode() {
        return Long.hashCode(createdNanos * 0x9E3779B97F4A7C15L);
    }

    /** The trace waited too long for its root while room ran out: drop what it holds, and what follows. */
    void expire() {
        decide(null);
    }

    /** A span of this trace has ended. */
    void ended(RecordedSpan span) {
        if (span == root) {
            decide(tracer.keepPolicy().reason(span));
            return;
        }
        synchronized (this) {
            if (state == DROPPED) {
                return;
            }
            if (state == OPEN) {
                if (endedCount >= tracer.keepPolicy().maxSpansPerTrace() || !tracer.reservePendingSpan()) {
                    tracer.keepDropped();
                    return;
                }
                if (firstEnded == null) {
                    firstEnded = span;
                    tracer.waiting(this);
                }
                else {
                    lastEnded.nextWaiting = span;
                }
                lastEnded = span;
                endedCount++;
                return;
            }
        }
        // kept already: a span that ends after the root goes out as it ends
        tracer.report(span);
    }

    /** The local root was abandoned: nothing of the trace is kept. */
    void rootAbandoned() {
        decide(null);
    }

    private void decide(String reason) {
        RecordedSpan decided = root;
        RecordedSpan waiting;
        int waitingCount;
        synchronized (this) {
            if (state != OPEN) {
                return;
            }
            state = reason != null ? KEPT : DROPPED;
            waiting = firstEnded;
            waitingCount = endedCount;
            firstEnded = null;
            lastEnded = null;
            endedCount = 0;
            root = null;
        }
        if (waiting != null) {
            tracer.releasePendingSpans(waitingCount);
            tracer.decided(this);
        }
        if (reason == null) {
            return;
        }
        decided.kept(reason);
        tracer.traceKept();
        while (waiting != null) {
            RecordedSpan next = waiting.nextWaiting;
            // the pipeline may hold the span for long (the store): it must not hold the rest of the list
            waiting.nextWaiting = null;
            tracer.report(waiting);
            waiting = next;
        }
        tracer.report(decided);
    }

}
