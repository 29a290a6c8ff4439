package dev.tracing.instrument.kafka;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import dev.tracing.core.Sampler;
import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import dev.tracing.propagation.CompositePropagator;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.kafka.requestreply.AggregatingReplyingKafkaTemplate;
import org.springframework.kafka.requestreply.ReplyingKafkaTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which reply containers get {@link TracedReplies}: a {@code ReplyingKafkaTemplate}'s, traced as
 * a hand-built container too when it is not a bean, but not an
 * {@code AggregatingReplyingKafkaTemplate}'s, which handles the batch itself. Nothing connects to a
 * broker: the containers are never started.
 */
class TracedRepliesTests {

    private final List<FinishedSpan> spans = new ArrayList<>();

    private final TraceTracer tracer = Tracing.newBuilder()
        .sampler(Sampler.create(1.0, 0))
        .reporter(spans::add)
        .build();

    private final TraceKafkaFactoryPostProcessor postProcessor = new TraceKafkaFactoryPostProcessor(
            () -> new KafkaSpanPolicy(tracer, CompositePropagator.builder(tracer).build(), false));

    private final DefaultKafkaProducerFactory<String, String> producers = new DefaultKafkaProducerFactory<>(
            Map.of("bootstrap.servers", "127.0.0.1:9"));

    @Test
    void aReplyingTemplatesContainerHandsItEachReplyAndIsTraced() {
        KafkaMessageListenerContainer<String, String> container = container();
        ReplyingKafkaTemplate<String, String, String> template = new ReplyingKafkaTemplate<>(producers, container);

        postProcessor.postProcessAfterInitialization(template, "replyingTemplate");

        assertThat(container.getContainerProperties().getMessageListener()).isInstanceOfSatisfying(TracedReplies.class,
                replies -> assertThat(replies.template()).isSameAs(template));
        assertThat(container.getBatchInterceptor()).isInstanceOf(TraceBatchInterceptor.class);
    }

    @Test
    void anAggregatingTemplateKeepsItsContainersBatches() {
        KafkaMessageListenerContainer<String, Collection<ConsumerRecord<String, String>>> container = container();
        // it commits the replies it aggregated itself
        container.getContainerProperties().setAckMode(ContainerProperties.AckMode.MANUAL);
        AggregatingReplyingKafkaTemplate<String, String, String> template = new AggregatingReplyingKafkaTemplate<>(
                producers, container, (replies, timedOut) -> replies.size() == 2);

        postProcessor.postProcessAfterInitialization(template, "aggregatingTemplate");

        assertThat(container.getContainerProperties().getMessageListener()).isSameAs(template);
    }

    private static <V> KafkaMessageListenerContainer<String, V> container() {
        DefaultKafkaConsumerFactory<String, V> consumers = new DefaultKafkaConsumerFactory<>(
                Map.of("bootstrap.servers", "127.0.0.1:9", "group.id", "replies"));
        return new KafkaMessageListenerContainer<>(consumers, new ContainerProperties("replies"));
    }

}
