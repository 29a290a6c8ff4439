package dev.tracing.instrument.kafka;

import java.util.ArrayList;
import java.util.List;

import io.micrometer.tracing.Span;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;

import org.springframework.kafka.listener.BatchInterceptor;

/**
 * Gives every batch a batch listener processes one CONSUMER span, linked to the context of each
 * record, current while the listener runs; with {@code trace.kafka.batch-record-spans} also one
 * span per record under that record's own context. A failed batch keeps its span current
 * through the error handler (its retries and dead-letter publishes join the trace) until the
 * next batch, a success, or the end of the poll.
 *
 * <p>Composed with the interceptor that was already configured, never replacing it: that one
 * runs inside the span.
 */
public final class TraceBatchInterceptor<K, V> extends ListenerTracingInterceptor implements BatchInterceptor<K, V> {

    private final BatchInterceptor<K, V> delegate;

    public TraceBatchInterceptor(KafkaSpanPolicy policy, BatchInterceptor<K, V> delegate) {
        super(policy, delegate);
        this.delegate = delegate;
    }

    /** The interceptor this one wraps, or null. */
    public BatchInterceptor<K, V> getDelegate() {
        return delegate;
    }

    @Override
    public ConsumerRecords<K, V> intercept(ConsumerRecords<K, V> records, Consumer<K, V> consumer) {
        // a retry of a failed batch re-intercepts: the failed attempt's span ends here
        current.finish();
        try {
            List<Span> recordSpans = policy.batchRecordSpans() ? new ArrayList<>(records.count()) : null;
            Span span = policy.startBatchSpan(records, records.count(), recordSpans);
            current.set(new ListenerSpans(span, recordSpans, records, policy));
        }
        catch (RuntimeException ex) {
            policy.failed("starting a batch span", ex);
        }
        if (delegate == null) {
            return records;
        }
        try {
            return intercepted(delegate.intercept(records, consumer));
        }
        catch (RuntimeException | Error ex) {
            interceptFailed(ex);
            throw ex;
        }
    }

    @Override
    public void success(ConsumerRecords<K, V> records, Consumer<K, V> consumer) {
        try {
            if (delegate != null) {
                delegate.success(records, consumer);
            }
        }
        finally {
            current.finish();
        }
    }

    /**
     * Ends the spans with the failure, as a record listener's: their duration is the listener's,
     * not the error handler's back-off before the retry. The scope stays until the container is
     * done with the batch (the retry's interception, or the end of the poll), so the error
     * handler's log lines and a dead-letter publish join the trace.
     */
    @Override
    public void failure(ConsumerRecords<K, V> records, Exception exception, Consumer<K, V> consumer) {
        current.fail(exception);
        try {
            if (delegate != null) {
                delegate.failure(records, exception, consumer);
            }
        }
        finally {
            current.outcome();
        }
    }

}
