package dev.tracing.core;

import java.util.List;
import java.util.function.Consumer;

import io.micrometer.tracing.exporter.FinishedSpan;

/**
 * Told when a sampled span starts, and when it ends or is abandoned: what a test kit needs to
 * name the spans a test left open, and where they were started. Called on the thread that starts
 * or ends the span; an implementation must be quick, thread-safe and never throw (a failure is
 * ignored). The span is the one being recorded: read its identity and name, keep nothing else.
 *
 * <p>Design notes: there is no listener by default, and the tracer then pays one null check per
 * span; production code has no use for this beyond the open-span count the tracer keeps anyway.
 */
public interface SpanLifecycle {

    /** {@code span} started: it has its ids, name and start time. */
    void started(FinishedSpan span);

    /** {@code span} ended, or was abandoned: it is no longer open. */
    void ended(FinishedSpan span);

    /**
     * One listener telling each of {@code listeners} in turn (a failing one does not keep the
     * others from being told); null when there is none, the listener itself when there is one.
     */
    static SpanLifecycle of(List<? extends SpanLifecycle> listeners) {
        if (listeners.isEmpty()) {
            return null;
        }
        if (listeners.size() == 1) {
            return listeners.get(0);
        }
        List<SpanLifecycle> all = List.copyOf(listeners);
        return new SpanLifecycle() {

            @Override
            public void started(FinishedSpan span) {
                tellEach(all, listener -> listener.started(span));
            }

            @Override
            public void ended(FinishedSpan span) {
                tellEach(all, listener -> listener.ended(span));
            }

        };
    }

    private static void tellEach(List<SpanLifecycle> listeners, Consumer<SpanLifecycle> signal) {
        for (SpanLifecycle listener : listeners) {
            try {
                signal.accept(listener);
            }
            catch (RuntimeException ignored) {
                // as the tracer ignores a single listener's failure
            }
        }
    }

}
