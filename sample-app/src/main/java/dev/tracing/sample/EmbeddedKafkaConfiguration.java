package dev.tracing.sample;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.utils.Exit;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.kafka.autoconfigure.KafkaConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * Without {@code spring.kafka.bootstrap-servers}, the sample starts a one-node KRaft broker in
 * its own process and points Spring Boot's Kafka support at it, so it runs with one command and
 * no external Kafka. Setting the property (in any form Boot binds: a list, or per client) uses that
 * broker instead and this does nothing.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(EmbeddedKafkaConfiguration.NoBrokerConfigured.class)
class EmbeddedKafkaConfiguration {

    static final String EVENTS_TOPIC = "sample-events";

    /** Matches when no bootstrap servers are set, for all clients or any one of them. */
    static final class NoBrokerConfigured extends SpringBootCondition {

        private static final List<String> PROPERTIES = List.of("spring.kafka.bootstrap-servers",
                "spring.kafka.producer.bootstrap-servers", "spring.kafka.consumer.bootstrap-servers",
                "spring.kafka.admin.bootstrap-servers", "spring.kafka.streams.bootstrap-servers");

        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            Binder binder = Binder.get(context.getEnvironment());
            for (String property : PROPERTIES) {
                List<String> servers = binder.bind(property, Bindable.listOf(String.class)).orElse(List.of());
                if (servers.stream().anyMatch(server -> !server.isBlank())) {
                    return ConditionOutcome.noMatch(property + " is set");
                }
            }
            return ConditionOutcome.match("no Kafka bootstrap servers are set");
        }

    }

    @Bean(destroyMethod = "destroy")
    InProcessBroker sampleKafkaBroker() {
        // started by Spring (afterPropertiesSet), on a free port
        return new InProcessBroker(EVENTS_TOPIC);
    }

    @Bean
    KafkaConnectionDetails sampleKafkaConnectionDetails(InProcessBroker broker) {
        List<String> servers = List.of(broker.getBrokersAsString().split(","));
        return () -> servers;
    }

    /**
     * The embedded broker, whose directories are deleted after it has stopped. Kafka's test kit
     * deletes them in a JVM shutdown hook of its own, which on Ctrl-C runs at the same time as
     * Spring's and pulls the directories from under the stopping broker (a dozen ERROR lines). The
     * kit registers that hook through Kafka's {@link Exit}, so while the broker starts its hooks
     * are kept here instead, and run once it is down.
     */
    static final class InProcessBroker extends EmbeddedKafkaKraftBroker {

        private final List<Runnable> deleteDirectories = new ArrayList<>();

        InProcessBroker(String... topics) {
            super(1, 1, topics);
        }

        @Override
        public void afterPropertiesSet() {
            Exit.setShutdownHookAdder((name, hook) -> deleteDirectories.add(hook));
            try {
                super.afterPropertiesSet();
            }
            finally {
                Exit.resetShutdownHookAdder();
            }
        }

        @Override
        public void destroy() {
            try {
                super.destroy();
            }
            finally {
                deleteDirectories.forEach(Runnable::run);
            }
        }

    }

}
