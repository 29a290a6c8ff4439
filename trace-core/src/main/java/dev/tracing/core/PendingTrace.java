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

    /** Where the trace stands: open until its root ends, is abandoned, or it expires. */
    private enum State {
        OPEN, KEPT, DROPPED,
        /** Dropped because it waited too long for its root while room ran out: its spans are counted. */
        EXPIRED
    }

    /** What {@link #offer} made of an ended span. */
    private enum Outcome {
        WAITS, REPORT, FORGET, COUNT_DROPPED, NO_ROOM
    }

    /** How {@link #offer} finds room for a span that would wait. */
    private enum Room {
        TRY, RESERVED, NONE_LEFT
    }

    private final TraceTracer tracer;

    /** The local root, whose end decides; set once, right after creation, by the creating thread. */
    RecordedSpan root;

    /** The ended spans waiting, oldest first, linked through {@link RecordedSpan#nextWaiting}. */
    private RecordedSpan firstEnded;

    private RecordedSpan lastEnded;

    private int endedCount;

    private State state = State.OPEN;

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
        decide(State.EXPIRED, null, null);
    }

    /** A span of this trace has ended. */
    void ended(RecordedSpan span) {
        if (span == root) {
            String reason = tracer.keepPolicy().reason(span);
            if (decide(reason != null ? State.KEPT : State.DROPPED, reason, span)) {
                return;
            }
            // expired meanwhile (nothing else decides a trace whose root has not ended): counted below
        }
        Outcome outcome = offer(span, Room.TRY);
        if (outcome == Outcome.NO_ROOM) {
            // expiring the traces that waited too long takes their locks, so not while this one's is held: two
            // threads expiring each other's traces would wait for each other, and this one could expire itself.
            // The root may decide meanwhile: the second offer looks at the state again, room or not
            outcome = offer(span, tracer.reservePendingSpanAfterExpiring() ? Room.RESERVED : Room.NONE_LEFT);
        }
        if (outcome == Outcome.REPORT) {
            // kept already: a span that ends after the root goes out as it ends
            tracer.report(span);
        }
        else if (outcome == Outcome.COUNT_DROPPED) {
            tracer.keepDropped(1);
        }
    }

    /**
     * Makes the span wait for the root's decision if the trace is open and has room for it, or says
     * what else to do with it. {@code room}: {@code TRY} takes room in the tracer's total if there is
     * some, else answers {@code NO_ROOM}; {@code RESERVED}: room was taken for the span already, and is
     * given back unless it waits; {@code NONE_LEFT}: there is none.
     */
    private Outcome offer(RecordedSpan span, Room room) {
        Outcome outcome;
        synchronized (this) {
            if (state == State.KEPT) {
                outcome = Outcome.REPORT;
            }
            else if (state == State.DROPPED) {
                outcome = Outcome.FORGET;
            }
            else if (state == State.EXPIRED || endedCount >= tracer.keepPolicy().maxSpansPerTrace()) {
                outcome = Outcome.COUNT_DROPPED;
            }
            else if (room == Room.RESERVED || (room == Room.TRY && tracer.tryReservePendingSpan())) {
                if (firstEnded == null) {
                    firstEnded = span;
                    tracer.waiting(this);
                }
                else {
                    lastEnded.nextWaiting = span;
                }
                lastEnded = span;
                endedCount++;
                return Outcome.WAITS;
            }
            else if (room == Room.TRY) {
                return Outcome.NO_ROOM;
            }
            else {
                outcome = Outcome.COUNT_DROPPED;
            }
        }
        if (room == Room.RESERVED) {
            tracer.releasePendingSpans(1);
        }
        return outcome;
    }

    /** The local root was abandoned: nothing of the trace is kept. */
    void rootAbandoned() {
        decide(State.DROPPED, null, null);
    }

    /**
     * Decides the trace unless it is decided already; returns whether this call decided it.
     * {@code endedRoot}: the local root that ended, which a kept trace reports last; null otherwise.
     */
    private boolean decide(State decision, String reason, RecordedSpan endedRoot) {
        RecordedSpan waiting;
        int waitingCount;
        synchronized (this) {
            if (state != State.OPEN) {
                return false;
            }
            if (decision == State.KEPT && !tracer.mayKeep()) {
                decision = State.DROPPED;
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
        if (decision == State.EXPIRED) {
            tracer.keepDropped(waitingCount);
        }
        if (decision != State.KEPT) {
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
