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

    /** Dropped because it waited too long for its root while room ran out: its spans are counted. */
    private static final int EXPIRED = 3;

    /** What {@link #offer} made of an ended span. */
    private static final int WAITS = 0;

    private static final int REPORT = 1;

    private static final int FORGET = 2;

    private static final int COUNT_DROPPED = 3;

    private static final int NO_ROOM = 4;

    /** How {@link #offer} finds room for a span that would wait. */
    private static final int TRY_ROOM = 0;

    private static final int ROOM_RESERVED = 1;

    private static final int NO_ROOM_LEFT = 2;

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

    /**
     * The trace waited too long for its root while room ran out: drop what it holds, and what follows,
     * counting them. Takes this trace's lock: never called with another trace's lock held.
     */
    void expire() {
        decide(EXPIRED, null, null);
    }

    /** A span of this trace has ended. */
    void ended(RecordedSpan span) {
        if (span == root) {
            String reason = tracer.keepPolicy().reason(span);
            if (decide(reason != null ? KEPT : DROPPED, reason, span)) {
                return;
            }
            // expired meanwhile (nothing else decides a trace whose root has not ended): counted below
        }
        int outcome = offer(span, TRY_ROOM);
        if (outcome == NO_ROOM) {
            // expiring the traces that waited too long takes their locks, so not while this one's is held: two
            // threads expiring each other's traces would wait for each other, and this one could expire itself.
            // The root may decide meanwhile: the second offer looks at the state again, room or not
            outcome = offer(span, tracer.reservePendingSpanAfterExpiring() ? ROOM_RESERVED : NO_ROOM_LEFT);
        }
        if (outcome == REPORT) {
            // kept already: a span that ends after the root goes out as it ends
            tracer.report(span);
        }
        else if (outcome == COUNT_DROPPED) {
            tracer.keepDropped(1);
        }
    }

    /**
     * Makes the span wait for the root's decision if the trace is open and has room for it, or says
     * what else to do with it. {@code room}: {@link #TRY_ROOM} takes room in the tracer's total if
     * there is some, else answers {@link #NO_ROOM}; {@link #ROOM_RESERVED}: room was taken for the
     * span already, and is given back unless it waits; {@link #NO_ROOM_LEFT}: there is none.
     */
    private int offer(RecordedSpan span, int room) {
        int outcome;
        synchronized (this) {
            if (state == KEPT) {
                outcome = REPORT;
            }
            else if (state == DROPPED) {
                outcome = FORGET;
            }
            else if (state == EXPIRED || endedCount >= tracer.keepPolicy().maxSpansPerTrace()) {
                outcome = COUNT_DROPPED;
            }
            else if (room == ROOM_RESERVED || (room == TRY_ROOM && tracer.tryReservePendingSpan())) {
                if (firstEnded == null) {
                    firstEnded = span;
                    tracer.waiting(this);
                }
                else {
                    lastEnded.nextWaiting = span;
                }
                lastEnded = span;
                endedCount++;
                return WAITS;
            }
            else if (room == TRY_ROOM) {
                return NO_ROOM;
            }
            else {
                outcome = COUNT_DROPPED;
            }
        }
        if (room == ROOM_RESERVED) {
            tracer.releasePendingSpans(1);
        }
        return outcome;
    }

    /** The local root was abandoned: nothing of the trace is kept. */
    void rootAbandoned() {
        decide(DROPPED, null, null);
    }

    /**
     * Decides the trace unless it is decided already; returns whether this call decided it.
     * {@code endedRoot}: the local root that ended, which a kept trace reports last; null otherwise.
     */
    private boolean decide(int decision, String reason, RecordedSpan endedRoot) {
        RecordedSpan waiting;
        int waitingCount;
        synchronized (this) {
            if (state != OPEN) {
                return false;
            }
            if (decision == KEPT && !tracer.mayKeep()) {
                decision = DROPPED;
            }
            state = decision;
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
        if (decision == EXPIRED) {
            tracer.keepDropped(waitingCount);
        }
        if (decision != KEPT) {
            return true;
        }
        endedRoot.kept(reason);
        tracer.traceKept();
        while (waiting != null) {
            RecordedSpan next = waiting.nextWaiting;
            // the pipeline may hold the span for long (the store): it must not hold the rest of the list
            waiting.nextWaiting = null;
            tracer.report(waiting);
            waiting = next;
        }
        tracer.report(endedRoot);
        return true;
    }

}
