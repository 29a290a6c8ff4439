package dev.tracing.instrument.kafka;

import java.util.Collection;
import java.util.List;
import java.util.Map;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import org.springframework.kafka.listener.BatchMessageListener;
import org.springframework.kafka.listener.ConsumerSeekAware;
import org.springframework.kafka.requestreply.ReplyingKafkaTemplate;

/**
 * The listener of a {@link ReplyingKafkaTemplate}'s reply container, in place of the template:
 * hands the template each reply of a batch on its own, in a CONSUMER span that is a child of the
 * reply's producer span, so the reply's future completes, and the callbacks the caller chained to
 * it run, in the request's trace rather than in the reply batch's. With
 * {@code trace.kafka.batch-record-spans} the batch's own span of the reply is made current
 * instead, so no reply gets two.
 *
 * <p>Design notes: {@code ReplyingKafkaTemplate} handles each reply of a batch on its own (it
 * looks up the reply's correlation id and completes that request's future), so handing it one
 * reply at a time changes nothing else; a subclass that handles the batch as a whole is not given
 * this listener. The container's partition callbacks still reach the template (it waits for its
 * reply partitions to be assigned).
 */
final class TracedReplies<K, R> implements BatchMessageListener<K, R>, ConsumerSeekAware {

    private final ReplyingKafkaTemplate<K, ?, R> template;

    private final KafkaSpanPolicy policy;

    TracedReplies(ReplyingKafkaTemplate<K, ?, R> template, KafkaSpanPolicy policy) {
        this.template = template;
        this.policy = policy;
    }

    /** The template whose replies this hands over. */
    ReplyingKafkaTemplate<K, ?, R> template() {
        return template;
    }

    @Override
    public void onMessage(List<ConsumerRecord<K, R>> replies) {
        for (ConsumerRecord<K, R> reply : replies) {
            handle(reply);
        }
    }

    private void handle(ConsumerRecord<K, R> reply) {
        Span batchs = batchRecordSpan(reply);
        Span span = batchs != null ? batchs : start(reply);
        if (span == null) {
            template.onMessage(List.of(reply));
            return;
        }
        Throwable failure = null;
        try (Tracer.SpanInScope scope = policy.tracer().withSpan(span)) {
            template.onMessage(List.of(reply));
        }
        catch (RuntimeException | Error ex) {
            failure = ex;
            throw ex;
        }
        finally {
            if (batchs == null) {
                policy.endConsumerSpan(span, failure);
            }
        }
    }

    /** The span the batch interceptor started for this reply, when it starts one per record. */
    private Span batchRecordSpan(ConsumerRecord<K, R> reply) {
        if (!policy.batchRecordSpans()) {
            return null;
        }
        ListenerSpans current = ListenerSpans.PerThread.current();
        return current != null ? current.recordSpan(reply) : null;
    }

    private Span start(ConsumerRecord<K, R> reply) {
        try {
            return policy.startRecordSpan(reply);
        }
        catch (RuntimeException ex) {
            policy.failed("starting a reply's consumer span", ex);
            return null;
        }
    }

    @Override
    public void registerSeekCallback(ConsumerSeekCallback callback) {
        template.registerSeekCallback(callback);
    }

    @Override
    public void onPartitionsAssigned(Map<TopicPartition, Long> assignments, ConsumerSeekCallback callback) {
        template.onPartitionsAssigned(assignments, callback);
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        template.onPartitionsRevoked(partitions);
    }

    @Override
    public void onIdleContainer(Map<TopicPartition, Long> assignments, ConsumerSeekCallback callback) {
        template.onIdleContainer(assignments, callback);
    }

    @Override
    public void onFirstPoll() {
        template.onFirstPoll();
    }

    @Override
    public void unregisterSeekCallback() {
        template.unregisterSeekCallback();
    }

}
