package dev.tracing.context;

import io.micrometer.tracing.TraceContext;

/**
 * The trace entry of a Reactor Context from which Micrometer's Observation entry was left out on
 * purpose ({@link ReactorTracing#leaveOutObservation}): the trace as the Observation resolved it,
 * and a sign to {@link ChangeOnlyContextSnapshotFactory} that a restore from that Context leaves
 * the thread's Observation as it finds it instead of clearing it, when that is the one left out.
 *
 * <p>Design notes: the sign rides on the trace entry rather than on a key of its own because the
 * point of leaving the Observation out is a Context with one key fewer. It is a
 * {@link TraceContext} (its ids are the trace's) so that code reading the entry without knowing it,
 * Reactor's own snapshot factory included, still gets a trace context (with the trace's ids, though
 * not this project's {@code SpanContext}: read through {@link ReactorTracing#traceContext}, which
 * unwraps it, as this project's accessor and snapshot factory do).
 */
final class ObservationLeftOut implements TraceContext {

    private final TraceContext trace;

    private final Object observation;

    ObservationLeftOut(TraceContext trace, Object observation) {
        this.trace = trace;
        this.observation = observation;
    }

    /** The trace context this entry stands for. */
    TraceContext trace() {
        return trace;
    }

    /** The Observation left out of the Context: the one a restore leaves on the thread. */
    Object observation() {
        return observation;
    }

    /** Returns {@code value}'s trace when it is such an entry, else {@code value}. */
    static Object unwrap(Object value) {
        return value instanceof ObservationLeftOut left ? left.trace : value;
    }

    @Override
    public String traceId() {
        return trace.traceId();
    }

    @Override
    public String parentId() {
        return trace.parentId();
    }

    @Override
    public String spanId() {
        return trace.spanId();
    }

    @Override
    public Boolean sampled() {
        return trace.sampled();
    }

    @Override
    public String toString() {
        return trace.toString();
    }

}
