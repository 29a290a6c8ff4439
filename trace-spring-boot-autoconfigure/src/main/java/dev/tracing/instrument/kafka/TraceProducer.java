package dev.tracing.instrument.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metrics.KafkaMetric;

/**
 * A {@link Producer} that gives every record a PRODUCER span and trace headers, and ends the
 * span on the broker's acknowledgement or the error. Everything else is delegated unchanged.
 *
 * <p>Design notes: the application's callback runs after the span has ended (its duration is the
 * send, not the callback) but inside the span's scope, so what it logs or calls joins the trace.
 * A send that throws instead of calling back ends the span there; the flag makes sure the span
 * ends once whichever way the outcome arrives.
 */
final class TraceProducer<K, V> implements Producer<K, V> {

    private final Producer<K, V> delegate;

    private final KafkaSpanPolicy policy;

    TraceProducer(Producer<K, V> delegate, KafkaSpanPolicy policy) {
        this.delegate = delegate;
        this.policy = policy;
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<K, V> record) {
        return send(record, null);
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<K, V> record, Callback callback) {
        // a template's Observation of this send already made its span (KafkaObservationSpanHandler)
        Span span = KafkaObservationSpanHandler.adopt(record, policy);
        if (record != null) {
            ProducerRecord<K, V> writable = KafkaSpanPolicy.withWritableHeaders(record);
            if (span == null) {
                record = writable;
                span = policy.startProducerSpan(record);
            }
            else if (writable != record) {
                // the Observation's span could not be written into the sealed headers: the copy takes it
                record = writable;
                policy.inject(span, record);
            }
        }
        if (span == null) {
            return delegate.send(record, callback);
        }
        SpanEndingCallback ending = new SpanEndingCallback(span, callback, policy);
        try {
            return delegate.send(record, ending);
        }
        catch (RuntimeException | Error ex) {
            ending.end(null, ex);
            throw ex;
        }
    }

    @Override
    public void initTransactions() {
        delegate.initTransactions();
    }

    @Override
    public void beginTransaction() {
        delegate.beginTransaction();
    }

    @Override
    public void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets,
            ConsumerGroupMetadata groupMetadata) {
        delegate.sendOffsetsToTransaction(offsets, groupMetadata);
    }

    @Override
    public void commitTransaction() {
        delegate.commitTransaction();
    }

    @Override
    public void abortTransaction() {
        delegate.abortTransaction();
    }

    @Override
    public void registerMetricForSubscription(KafkaMetric metric) {
        delegate.registerMetricForSubscription(metric);
    }

    @Override
    public void unregisterMetricFromSubscription(KafkaMetric metric) {
        delegate.unregisterMetricFromSubscription(metric);
    }

    @Override
    public void flush() {
        delegate.flush();
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic) {
        return delegate.partitionsFor(topic);
    }

    @Override
    public Map<MetricName, ? extends Metric> metrics() {
        return delegate.metrics();
    }

    @Override
    public Uuid clientInstanceId(Duration timeout) {
        return delegate.clientInstanceId(timeout);
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public void close(Duration timeout) {
        delegate.close(timeout);
    }

    @Override
    public String toString() {
        return "TraceProducer[" + delegate + "]";
    }

    private static final class SpanEndingCallback extends AtomicBoolean implements Callback {

        private final Span span;

        private final Callback delegate;

        private final KafkaSpanPolicy policy;

        SpanEndingCallback(Span span, Callback delegate, KafkaSpanPolicy policy) {
            this.span = span;
            this.delegate = delegate;
            this.policy = policy;
        }

        @Override
        public void onCompletion(RecordMetadata metadata, Exception exception) {
            end(metadata, exception);
            if (delegate != null) {
                try (Tracer.SpanInScope scope = policy.tracer().withSpan(span)) {
                    delegate.onCompletion(metadata, exception);
                }
            }
        }

        void end(RecordMetadata metadata, Throwable error) {
            if (compareAndSet(false, true)) {
                policy.endProducerSpan(span, metadata, error);
            }
        }

    }

}
