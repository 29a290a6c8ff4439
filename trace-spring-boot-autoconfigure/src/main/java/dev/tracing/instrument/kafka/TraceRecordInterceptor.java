package dev.tracing.instrument.kafka;

import io.micrometer.tracing.Span;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import org.springframework.kafka.listener.RecordInterceptor;

/**
 * Gives every record a record listener processes a CONSUMER span, current (thread-local and
 * MDC) from interception until the container is done with the record, so the listener's logs
 * and calls, the error handler and a dead-letter publish join the record's trace. The span ends
 * with the listener's outcome. Each delivery attempt is intercepted anew and so is its own span;
 * a record that fails before it is intercepted (a deserialization error) gets its span when the
 * failure is reported.
 *
 * <p>Composed with the interceptor that was already configured, never replacing it: that one
 * runs inside the span, after this one starts it and before this one ends it.
 */
public final class TraceRecordInterceptor<K, V> extends ListenerTracingInterceptor implements RecordInterceptor<K, V> {

    private final RecordInterceptor<K, V> delegate;

    public TraceRecordInterceptor(KafkaSpanPolicy policy, RecordInterceptor<K, V> delegate) {
        super(policy, delegate);
        this.delegate = delegate;
    }

    /** The interceptor this one wraps, or null. */
    public RecordInterceptor<K, V> getDelegate() {
        return delegate;
    }

    @Override
    public ConsumerRecord<K, V> intercept(ConsumerRecord<K, V> record, Consumer<K, V> consumer) {
        current.finish();
        start(record);
        if (delegate == null) {
            return record;
        }
        try {
            return intercepted(delegate.intercept(record, consumer));
        }
        catch (RuntimeException | Error ex) {
            interceptFailed(ex);
            throw ex;
        }
    }

    private void start(ConsumerRecord<K, V> record) {
        try {
            Span span = policy.startRecordSpan(record);
            current.set(new ListenerSpans(span, null, policy));
        }
        catch (RuntimeException ex) {
            policy.failed("starting a consumer span", ex);
        }
    }

    @Override
    public void success(ConsumerRecord<K, V> record, Consumer<K, V> consumer) {
        try {
            if (delegate != null) {
                delegate.success(record, consumer);
            }
        }
        finally {
            current.outcome();
        }
    }

    @Override
    public void failure(ConsumerRecord<K, V> record, Exception exception, Consumer<K, V> consumer) {
        if (current.isEmpty() && record != null) {
            // failed before interception (e.g. it could not be deserialized): still a traced attempt
            start(record);
        }
        current.fail(exception);
        try {
            if (delegate != null) {
                delegate.failure(record, exception, consumer);
            }
        }
        finally {
            current.outcome();
        }
    }

    @Override
    public void afterRecord(ConsumerRecord<K, V> record, Consumer<K, V> consumer) {
        try {
            if (delegate != null) {
                delegate.afterRecord(record, consumer);
            }
        }
        finally {
            current.finish();
        }
    }

}
