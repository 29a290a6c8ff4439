package dev.tracing.instrument.kafka;

import java.util.List;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.listener.SeekUtils;

/**
 * The spans of the record or batch a listener thread is processing, and the scope that makes
 * the main one current. One per consumer thread, kept by the interceptor between its callbacks.
 *
 * <p>Design notes: the spans and the scope end separately. A record's span ends with the
 * listener's outcome, so its duration is the listener's and not the error handler's back-off;
 * its scope stays open until the container is done with the record, so the error handler's log
 * lines and a dead-letter publish still join the trace. When a scope was already open when ours
 * opened (Spring Kafka's own listener observation), ours must close first, so it closes with
 * the outcome instead. The container does not always call every callback (a skipped record, a
 * failure before interception, a batch retried), so the interceptor ends what is left before it
 * starts anew and when the container clears its thread state after each poll. Both ends are
 * idempotent.
 *
 * <p>A listener that returns a {@code CompletableFuture} or a {@code Mono} is done when that
 * completes, not when it returns: {@link #awaitCompletion()} defers the end of the spans until both
 * the container's outcome and {@link #completed(Throwable)} arrived, whichever thread each comes
 * from; the scope still closes on the consumer thread with the container. The end is guarded by
 * this object's lock, which only an async record's completion thread ever contends for. A failure
 * the container reports ends the spans at once: no completion follows it that could end them.
 */
final class ListenerSpans {

    private final Span span;

    private final List<Span> recordSpans;

    private final boolean nested;

    private final KafkaSpanPolicy policy;

    private Tracer.SpanInScope scope;

    private Throwable error;

    private boolean ended;

    /** The batch's records; null for a record listener's. */
    private final Iterable<? extends ConsumerRecord<?, ?>> records;

    /** See {@link #notDelivered()}. */
    private boolean notDelivered;

    /** An async result is still running: the spans end when it completes. */
    private boolean awaiting;

    /** The container is done with the listener (its outcome, or the end of the record). */
    private boolean outcomeKnown;

    ListenerSpans(Span span, List<Span> recordSpans, KafkaSpanPolicy policy) {
        this(span, recordSpans, null, policy);
    }

    /**
     * @param records the batch's records (null for a record), in the order of {@code recordSpans}: a
     * {@code BatchListenerFailedException} may name its record instead of its index
     */
    ListenerSpans(Span span, List<Span> recordSpans, Iterable<? extends ConsumerRecord<?, ?>> records,
            KafkaSpanPolicy policy) {
        this.span = span;
        this.recordSpans = recordSpans;
        this.records = records;
        this.policy = policy;
        Tracer tracer = policy.tracer();
        this.nested = tracer.currentTraceContext().context() != null;
        try {
            this.scope = tracer.withSpan(span);
        }
        catch (RuntimeException ex) {
            policy.failed("opening a consumer scope", ex);
        }
    }

    synchronized void failed(Throwable error) {
        this.error = error;
        this.awaiting = false;
    }

    /**
     * The container did not deliver the record after all (a retry topic's consumer backing off
     * until it is due, which Spring Kafka counts as no attempt): its spans are dropped, not ended.
     */
    synchronized void notDelivered() {
        this.notDelivered = true;
        this.awaiting = false;
    }

    /** The listener returned an async result: the spans end when it completes, not before. */
    synchronized void awaitCompletion() {
        if (!ended) {
            awaiting = true;
        }
    }

    /** The listener's async result completed, with {@code asyncError} when it failed; any thread. */
    void completed(Throwable asyncError) {
        synchronized (this) {
            if (!awaiting) {
                return;
            }
            awaiting = false;
            if (asyncError != null) {
                error = asyncError;
            }
            if (!outcomeKnown || ended) {
                return;
            }
            ended = true;
        }
        endAll();
    }

    /** The span of {@code record} when each record of the batch has one, else null. */
    Span recordSpan(ConsumerRecord<?, ?> record) {
        return recordSpan(record.topic(), record.partition(), record.offset());
    }

    /** The span of the batch's record at {@code topic}, {@code partition}, {@code offset}, when each has one. */
    Span recordSpan(String topic, int partition, long offset) {
        int index = recordSpans != null ? indexOf(topic, partition, offset) : -1;
        return index >= 0 && index < recordSpans.size() ? recordSpans.get(index) : null;
    }

    /**
     * Whether these are a batch's spans and the batch holds the record at {@code topic},
     * {@code partition}, {@code offset}.
     */
    boolean batchHolds(String topic, int partition, long offset) {
        return indexOf(topic, partition, offset) >= 0;
    }

    /** The main span: the parent of what the listener's async part does. */
    Span span() {
        return span;
    }

    /** The listener's outcome is known: ends the spans, and the scope if another encloses it. */
    void outcome() {
        endSpans();
        if (nested) {
            closeScope();
        }
    }

    /** The container is done with the record or batch: closes the scope and ends the spans. */
    void finish() {
        closeScope();
        endSpans();
    }

    private void closeScope() {
        Tracer.SpanInScope open = scope;
        scope = null;
        if (open != null) {
            try {
                open.close();
            }
            catch (RuntimeException ex) {
                policy.failed("closing a consumer scope", ex);
            }
        }
    }

    private void endSpans() {
        synchronized (this) {
            outcomeKnown = true;
            if (ended || awaiting) {
                return;
            }
            ended = true;
        }
        endAll();
    }

    private void endAll() {
        end(span, error);
        if (recordSpans != null) {
            // a batch failed at one record (BatchListenerFailedException): the records before it were
            // processed and are committed, the ones after it were not and come again
            int failedAt = error != null ? failedRecordIndex(error) : -1;
            if (failedAt >= recordSpans.size()) {
                // an index outside the batch: Spring Kafka delivers the whole batch again
                failedAt = -1;
            }
            for (int i = 0; i < recordSpans.size(); i++) {
                Span recordSpan = recordSpans.get(i);
                if (failedAt < 0 || i == failedAt) {
                    end(recordSpan, error);
                }
                else if (i < failedAt) {
                    end(recordSpan, null);
                }
                else {
                    abandon(recordSpan);
                }
            }
        }
    }

    /** The index of the record {@code error} names in its batch, by index or by the record; else -1. */
    private int failedRecordIndex(Throwable error) {
        Throwable cause = error;
        for (int i = 0; i < 4 && cause != null; i++, cause = cause.getCause()) {
            if (cause instanceof BatchListenerFailedException failed) {
                ConsumerRecord<?, ?> record = failed.getRecord();
                return failed.getIndex() >= 0 || record == null ? failed.getIndex()
                        : indexOf(record.topic(), record.partition(), record.offset());
            }
        }
        return -1;
    }

    /** The index of the batch's record at {@code topic}, {@code partition}, {@code offset}; else -1. */
    private int indexOf(String topic, int partition, long offset) {
        if (records == null) {
            return -1;
        }
        int index = 0;
        for (ConsumerRecord<?, ?> record : records) {
            if (record.offset() == offset && record.partition() == partition && record.topic().equals(topic)) {
                return index;
            }
            index++;
        }
        return -1;
    }

    private void end(Span target, Throwable failure) {
        if (notDelivered) {
            abandon(target);
        }
        else {
            policy.endConsumerSpan(target, failure);
        }
    }

    private void abandon(Span target) {
        try {
            target.abandon();
        }
        catch (RuntimeException ex) {
            policy.failed("ending a consumer span", ex);
        }
    }

    /** The spans of the record or batch each consumer thread is processing. */
    static final class PerThread {

        /**
         * One for all interceptors: a consumer thread processes one record or batch at a time, and
         * the listener's result is handed over on that thread ({@link #current()}).
         */
        private static final ThreadLocal<ListenerSpans> spans = new ThreadLocal<>();

        /** The spans of the record or batch this thread is processing, or null. */
        static ListenerSpans current() {
            return spans.get();
        }

        void set(ListenerSpans current) {
            spans.set(current);
        }

        boolean isEmpty() {
            return spans.get() == null;
        }

        /** Notes a failure on the current spans, if any; a retry topic's back-off is no delivery. */
        void fail(Throwable error) {
            ListenerSpans current = spans.get();
            if (current != null) {
                if (error instanceof Exception exception && SeekUtils.isBackoffException(exception)) {
                    current.notDelivered();
                }
                else {
                    current.failed(error);
                }
            }
        }

        /** Ends the current spans with the outcome noted, if any, keeping them for {@link #finish()}. */
        void outcome() {
            ListenerSpans current = spans.get();
            if (current != null) {
                current.outcome();
            }
        }

        /** Closes and ends the current spans, if any, and forgets them. */
        void finish() {
            ListenerSpans current = spans.get();
            if (current != null) {
                spans.remove();
                current.finish();
            }
        }

    }

}
