package dev.tracing.instrument.kafka;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.kafka.config.AbstractKafkaListenerContainerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.core.ProducerPostProcessor;
import org.springframework.kafka.core.RoutingKafkaTemplate;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;
import org.springframework.kafka.listener.BatchAcknowledgingConsumerAwareMessageListener;
import org.springframework.kafka.listener.BatchAcknowledgingMessageListener;
import org.springframework.kafka.listener.BatchConsumerAwareMessageListener;
import org.springframework.kafka.listener.BatchInterceptor;
import org.springframework.kafka.listener.GenericMessageListenerContainer;
import org.springframework.kafka.listener.RecordInterceptor;
import org.springframework.kafka.requestreply.ReplyingKafkaTemplate;
import org.springframework.util.ReflectionUtils;

/**
 * Instruments every Spring Kafka factory bean, Spring Boot's and the application's: a
 * {@link ProducerFactory} gets the {@link TraceProducerPostProcessor}, so every producer it
 * creates (and every {@code KafkaTemplate} on it) is traced; an
 * {@link AbstractKafkaListenerContainerFactory} gets the tracing record and batch interceptors
 * wrapped around the ones it already has, so every container it creates is traced and the
 * application's interceptors still run.
 *
 * A {@code KafkaTemplate} bean gets its factory instrumented too, for templates built on a
 * factory that is not a bean; a {@link RoutingKafkaTemplate} (which has no single factory) gets each
 * factory it routes to. A {@code ReplyingKafkaTemplate} bean also has its reply container hand it
 * each reply in the reply's own trace ({@link TracedReplies}). A listener container bean built by
 * hand (not by a factory) gets the interceptors as a factory's containers do.
 *
 * <p>Design notes: a bean post-processor rather than Spring Boot's factory customizers, because
 * those only reach the factories Boot builds itself. A {@code ContainerCustomizer} that sets a
 * container's interceptor after the factory configured it replaces ours; compose with
 * {@code getRecordInterceptor()} there. The span policy is looked up when the first
 * factory appears, not when this post-processor is created, so the tracer is not created early.
 */
public final class TraceKafkaFactoryPostProcessor implements BeanPostProcessor {

    private final Supplier<KafkaSpanPolicy> policy;

    public TraceKafkaFactoryPostProcessor(Supplier<KafkaSpanPolicy> policy) {
        this.policy = policy;
    }

    @Override
    @SuppressWarnings({ "unchecked", "rawtypes" })
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof ProducerFactory factory) {
            instrument(factory);
        }
        else if (bean instanceof RoutingKafkaTemplate routing) {
            // its getProducerFactory() throws: it has one factory per topic pattern
            for (ProducerFactory<Object, Object> factory : routedFactories(routing)) {
                instrument(factory);
            }
        }
        else if (bean instanceof ReplyingKafkaTemplate replying) {
            instrument(replying.getProducerFactory());
            traceReplies(replying);
        }
        else if (bean instanceof KafkaTemplate template) {
            // a template on a factory that is not a bean itself
            try {
                instrument(template.getProducerFactory());
            }
            catch (UnsupportedOperationException noSingleFactory) {
                // another template without one factory: its factories are traced where they are beans
            }
        }
        else if (bean instanceof AbstractKafkaListenerContainerFactory factory) {
            instrument(factory);
        }
        else if (bean instanceof AbstractMessageListenerContainer container) {
            instrument(container);
        }
        return bean;
    }

    /**
     * The factories a routing template sends through. Spring Kafka keeps them in a private map (their
     * patterns are the application's); when it cannot be read (another version), none: the factories
     * that are beans are traced as beans.
     */
    @SuppressWarnings("unchecked")
    private static Iterable<ProducerFactory<Object, Object>> routedFactories(RoutingKafkaTemplate template) {
        Field field = ReflectionUtils.findField(RoutingKafkaTemplate.class, "factoryMatchers", Map.class);
        if (field == null) {
            return List.of();
        }
        try {
            ReflectionUtils.makeAccessible(field);
            Object matchers = ReflectionUtils.getField(field, template);
            return matchers instanceof Map<?, ?> map ? (Iterable<ProducerFactory<Object, Object>>) map.values()
                    : List.of();
        }
        catch (RuntimeException ex) {
            return List.of();
        }
    }

    /**
     * Has the reply container of {@code template} hand it each reply in the reply's own trace
     * ({@link TracedReplies}), and traces the container as a hand-built one when it is not a bean. Only
     * a template that takes its replies as {@code ReplyingKafkaTemplate} does, one by one: a subclass
     * that handles the batch itself ({@code AggregatingReplyingKafkaTemplate}, which aggregates the
     * batch's replies and takes the consumer to commit them) is left as it is, its replies handled in
     * their batch's span. So is a template whose private container field cannot be read (another
     * version of Spring Kafka), or whose container's listener is no longer the template.
     */
    @SuppressWarnings({ "unchecked", "rawtypes" })
    private void traceReplies(ReplyingKafkaTemplate template) {
        if (!takesRepliesOneByOne(template)) {
            return;
        }
        Field field = ReflectionUtils.findField(ReplyingKafkaTemplate.class, "replyContainer",
                GenericMessageListenerContainer.class);
        if (field == null) {
            return;
        }
        try {
            ReflectionUtils.makeAccessible(field);
            if (ReflectionUtils.getField(field, template) instanceof GenericMessageListenerContainer container
                    && container.getContainerProperties().getMessageListener() == template) {
                if (container instanceof AbstractMessageListenerContainer hand) {
                    // a container that is not a bean has none of our interceptors yet
                    instrument(hand);
                }
                container.setupMessageListener(new TracedReplies<>(template, policy.get()));
            }
        }
        catch (RuntimeException ex) {
            // left as it is
        }
    }

    /** Whether {@code template} handles its replies with {@code ReplyingKafkaTemplate}'s own batch method. */
    private static boolean takesRepliesOneByOne(ReplyingKafkaTemplate<?, ?, ?> template) {
        if (template instanceof BatchConsumerAwareMessageListener<?, ?>
                || template instanceof BatchAcknowledgingConsumerAwareMessageListener<?, ?>
                || template instanceof BatchAcknowledgingMessageListener<?, ?>) {
            return false;
        }
        Method onMessage = ReflectionUtils.findMethod(template.getClass(), "onMessage", List.class);
        return onMessage != null && onMessage.getDeclaringClass() == ReplyingKafkaTemplate.class;
    }

    private <K, V> void instrument(AbstractMessageListenerContainer<K, V> container) {
        container.setRecordInterceptor(traced(container.getRecordInterceptor()));
        container.setBatchInterceptor(traced(container.getBatchInterceptor()));
    }

    private <K, V> void instrument(ProducerFactory<K, V> factory) {
        for (ProducerPostProcessor<K, V> postProcessor : factory.getPostProcessors()) {
            if (postProcessor instanceof TraceProducerPostProcessor) {
                return;
            }
        }
        factory.addPostProcessor(new TraceProducerPostProcessor<>(policy.get()));
    }

    private <K, V> void instrument(AbstractKafkaListenerContainerFactory<?, K, V> factory) {
        factory.setRecordInterceptor(traced(factory.getRecordInterceptor()));
        factory.setBatchInterceptor(traced(factory.getBatchInterceptor()));
    }

    /** {@code interceptor} inside ours, or itself when it is ours already. */
    private <K, V> RecordInterceptor<K, V> traced(RecordInterceptor<K, V> interceptor) {
        return interceptor instanceof TraceRecordInterceptor ? interceptor
                : new TraceRecordInterceptor<>(policy.get(), interceptor);
    }

    /** {@code interceptor} inside ours, or itself when it is ours already. */
    private <K, V> BatchInterceptor<K, V> traced(BatchInterceptor<K, V> interceptor) {
        return interceptor instanceof TraceBatchInterceptor ? interceptor
                : new TraceBatchInterceptor<>(policy.get(), interceptor);
    }

}
