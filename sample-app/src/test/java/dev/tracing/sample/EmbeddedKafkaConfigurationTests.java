package dev.tracing.sample;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/** A broker of the user's, set in any form Spring Boot binds, leaves the embedded one off. */
class EmbeddedKafkaConfigurationTests {

    @ParameterizedTest
    @ValueSource(strings = { "spring.kafka.bootstrap-servers=kafka:9092",
            "spring.kafka.bootstrap-servers[0]=kafka:9092", "spring.kafka.producer.bootstrap-servers=kafka:9092",
            "spring.kafka.consumer.bootstrap-servers[0]=kafka:9092" })
    void aConfiguredBrokerStartsNoEmbeddedOne(String property) {
        new ApplicationContextRunner().withUserConfiguration(EmbeddedKafkaConfiguration.class)
            .withPropertyValues(property)
            .run(context -> {
                assertThat(context).hasNotFailed();
                assertThat(context).doesNotHaveBean(EmbeddedKafkaConfiguration.InProcessBroker.class);
            });
    }

}
