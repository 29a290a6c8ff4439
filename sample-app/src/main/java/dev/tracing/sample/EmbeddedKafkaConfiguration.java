package dev.tracing.sample;

import java.util.List;

import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.kafka.autoconfigure.KafkaConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * Without {@code spring.kafka.bootstrap-servers}, the sample starts a one-node KRaft broker in
 * its own process and points Spring Boot's Kafka support at it, so it runs with one command and
 * no external Kafka. Setting the property uses that broker instead and this does nothing.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression("'${spring.kafka.bootstrap-servers:}'.isEmpty()")
class EmbeddedKafkaConfiguration {

    static final String EVENTS_TOPIC = "sample-events";

    @Bean(destroyMethod = "destroy")
    EmbeddedKafkaKraftBroker sampleKafkaBroker() {
        // started by Spring (afterPropertiesSet), on a free port
        return new EmbeddedKafkaKraftBroker(1, 1, EVENTS_TOPIC);
    }

    @Bean
    KafkaConnectionDetails sampleKafkaConnectionDetails(EmbeddedKafkaKraftBroker broker) {
        List<String> servers = List.of(broker.getBrokersAsString().split(","));
        return () -> servers;
    }

}
