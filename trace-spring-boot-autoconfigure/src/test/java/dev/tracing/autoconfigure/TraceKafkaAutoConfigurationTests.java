package dev.tracing.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

import dev.tracing.instrument.kafka.KafkaSpanPolicy;
import dev.tracing.instrument.kafka.TraceBatchInterceptor;
import dev.tracing.instrument.kafka.TraceProducerPostProcessor;
import dev.tracing.instrument.kafka.TraceRecordInterceptor;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.core.RoutingKafkaTemplate;
import org.springframework.kafka.listener.RecordInterceptor;

import static org.assertj.core.api.Assertions.assertThat;

/** Which factories get tracing, and that the application's interceptors are kept. */
class TraceKafkaAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class, TraceKafkaAutoConfiguration.class,
                KafkaAutoConfiguration.class))
        .withUserConfiguration(UserBeans.class);

    @Test
    void bootsFactoriesAndTheApplicationsOwnAreInstrumented() {
        runner.run(context -> {
            ConcurrentKafkaListenerContainerFactory<?, ?> factory = context.getBean("kafkaListenerContainerFactory",
                    ConcurrentKafkaListenerContainerFactory.class);
            assertThat(factory.getRecordInterceptor()).isInstanceOf(TraceRecordInterceptor.class);
            assertThat(((TraceRecordInterceptor<?, ?>) factory.getRecordInterceptor()).getDelegate())
                .isSameAs(context.getBean("userInterceptor"));
            assertThat(factory.getBatchInterceptor()).isInstanceOf(TraceBatchInterceptor.class);

            ConcurrentKafkaListenerContainerFactory<?, ?> own = context.getBean("ownFactory",
                    ConcurrentKafkaListenerContainerFactory.class);
            assertThat(own.getRecordInterceptor()).isInstanceOf(TraceRecordInterceptor.class);
            assertThat(((TraceRecordInterceptor<?, ?>) own.getRecordInterceptor()).getDelegate()).isNull();

            for (ProducerFactory<?, ?> producerFactory : context.getBeansOfType(ProducerFactory.class).values()) {
                assertThat(producerFactory.getPostProcessors()).filteredOn(TraceProducerPostProcessor.class::isInstance)
                    .hasSize(1);
            }
            // Boot's producer factory backs off for the application's own; KafkaTracingTests covers Boot's
            assertThat(context.getBeansOfType(ProducerFactory.class)).containsOnlyKeys("ownProducerFactory");
        });
    }

    @Test
    void aRoutingTemplateStartsAndEachFactoryItRoutesToIsInstrumented() {
        DefaultKafkaProducerFactory<Object, Object> routed = new DefaultKafkaProducerFactory<>(
                Map.of("bootstrap.servers", "localhost:1"));
        runner.withBean(RoutingKafkaTemplate.class,
                () -> new RoutingKafkaTemplate(new LinkedHashMap<>(Map.of(Pattern.compile(".+"), routed))))
            .run(context -> {
                assertThat(context).hasNotFailed().hasSingleBean(RoutingKafkaTemplate.class);
                assertThat(routed.getPostProcessors()).filteredOn(TraceProducerPostProcessor.class::isInstance)
                    .hasSize(1);
            });
    }

    @Test
    void kafkaTracingCanBeTurnedOff() {
        runner.withPropertyValues("trace.kafka.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(KafkaSpanPolicy.class);
            ConcurrentKafkaListenerContainerFactory<?, ?> factory = context.getBean("kafkaListenerContainerFactory",
                    ConcurrentKafkaListenerContainerFactory.class);
            assertThat(factory.getRecordInterceptor()).isSameAs(context.getBean("userInterceptor"));
            assertThat(factory.getBatchInterceptor()).isNull();
            for (ProducerFactory<?, ?> producerFactory : context.getBeansOfType(ProducerFactory.class).values()) {
                assertThat(producerFactory.getPostProcessors()).isEmpty();
            }
        });
    }

    @Test
    void noKafkaTracingWhenTracingIsOff() {
        runner.withPropertyValues("trace.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(KafkaSpanPolicy.class);
            assertThat(context.getBean("kafkaListenerContainerFactory", ConcurrentKafkaListenerContainerFactory.class)
                .getRecordInterceptor()).isSameAs(context.getBean("userInterceptor"));
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class UserBeans {

        @Bean
        RecordInterceptor<Object, Object> userInterceptor() {
            return new RecordInterceptor<>() {
                @Override
                public ConsumerRecord<Object, Object> intercept(ConsumerRecord<Object, Object> record,
                        Consumer<Object, Object> consumer) {
                    return record;
                }
            };
        }

        @Bean
        ConcurrentKafkaListenerContainerFactory<Object, Object> ownFactory() {
            return new ConcurrentKafkaListenerContainerFactory<>();
        }

        @Bean
        ProducerFactory<Object, Object> ownProducerFactory() {
            return new DefaultKafkaProducerFactory<>(Map.of("bootstrap.servers", "localhost:1"));
        }

    }

}
