package dev.tracing.instrument.kafka;

import java.util.function.Supplier;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.kafka.config.AbstractKafkaListenerContainerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.core.ProducerPostProcessor;
import org.springframework.kafka.listener.BatchInterceptor;
import org.springframework.kafka.listener.RecordInterceptor;

/**
 * Instruments every Spring Kafka factory bean, Spring Boot's and the application's: a
 * {@link ProducerFactory} gets the {@link TraceProducerPostProcessor}, so every producer it
 * creates (and every {@code KafkaTemplate} on it) is traced; an
 * {@link AbstractKafkaListenerContainerFactory} gets the tracing record and batch interceptors
 * wrapped around the ones it already has, so every container it creates is traced and the
 * application's interceptors still run.
 *
 * A {@code KafkaTemplate} bean gets its factory instrumented too, for templates built on a
 * factory that is not a bean.
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
        else if (bean instanceof KafkaTemplate template) {
            // a template on a factory that is not a bean itself
            instrument(template.getProducerFactory());
        }
        else if (bean instanceof AbstractKafkaListenerContainerFactory factory) {
            instrument(factory);
        }
        return bean;
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
        RecordInterceptor<K, V> record = factory.getRecordInterceptor();
        if (!(record instanceof TraceRecordInterceptor)) {
            factory.setRecordInterceptor(new TraceRecordInterceptor<>(policy.get(), record));
        }
        BatchInterceptor<K, V> batch = factory.getBatchInterceptor();
        if (!(batch instanceof TraceBatchInterceptor)) {
            factory.setBatchInterceptor(new TraceBatchInterceptor<>(policy.get(), batch));
        }
    }

}
