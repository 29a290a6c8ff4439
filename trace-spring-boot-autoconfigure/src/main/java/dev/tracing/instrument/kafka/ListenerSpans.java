package dev.tracing.instrument.kafka;

import java.util.List;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;

/**
 * The spans of the record or batch a listener thread is processing, and the scope that makes
 * the main one current. One per consumer thread, kept by the interceptor between its callbacks.
 *
 * <p>Design notes: the container calls the interceptor's start and end on the same thread, but
 * not always both (another interceptor may skip the record, a batch retry re-intercepts without
 * an outcome), so the interceptor ends what is left before it starts anew and when the container
 * clears its thread state after each poll. Ending is idempotent.
 */
final class ListenerSpans {

    private final Span span;

    private final List<Span> recordSpans;

    private final Tracer.SpanInScope scope;

    private final KafkaTracing tracing;

    private Throwable error;

    private boolean ended;

    ListenerSpans(Span span, List<Span> recordSpans, KafkaTracing tracing) {
        this.span = span;
        this.recordSpans = recordSpans;
        this.tracing = tracing;
        this.scope = tracing.tracer().withSpan(span);
    }

    void failed(Throwable error) {
        this.error = error;
    }

    /** Closes the scope, then ends the spans with the outcome noted, once. */
    void end() {
        if (ended) {
            return;
        }
        ended = true;
        try {
            scope.close();
        }
        catch (RuntimeException ex) {
            tracing.failed("closing a consumer scope", ex);
        }
        end(span);
        if (recordSpans != null) {
            for (Span recordSpan : recordSpans) {
                end(recordSpan);
            }
        }
    }

    private void end(Span target) {
        try {
            if (error != null) {
                tracing.error(target, error);
            }
            target.end();
        }
        catch (RuntimeException ex) {
            tracing.failed("ending a consumer span", ex);
        }
    }

    /** The spans of the record or batch each consumer thread is processing. */
    static final class PerThread {

        private final ThreadLocal<ListenerSpans> spans = new ThreadLocal<>();

        void set(ListenerSpans current) {
            spans.set(current);
        }

        /** Notes a failure on the current spans, if any. */
        void fail(Throwable error) {
            ListenerSpans current = spans.get();
            if (current != null) {
                current.failed(error);
            }
        }

        /** Ends the current spans, if any, and forgets them. */
        void end() {
            ListenerSpans current = spans.get();
            if (current != null) {
                spans.remove();
                current.end();
            }
        }

    }

}
