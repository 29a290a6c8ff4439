package dev.tracing.compatibility;

import org.junit.jupiter.api.Test;

import org.springframework.test.context.TestPropertySource;
import org.springframework.util.ClassUtils;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The starter with actuator and Prometheus but without Spring Boot's tracing module: our
 * handlers alone turn Observations into spans, and Kafka's own observations are on.
 */
@TestPropertySource(properties = { "spring.kafka.template.observation-enabled=true",
        "spring.kafka.listener.observation-enabled=true" })
class ActuatorTests extends ObservedExchangeSpansTests {

    @Test
    void thisClasspathHasNoBootTracingModule() {
        assertThat(ClassUtils.isPresent(
                "org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration", null))
            .isFalse();
    }

}
