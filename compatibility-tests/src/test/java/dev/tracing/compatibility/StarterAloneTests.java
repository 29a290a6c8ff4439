package dev.tracing.compatibility;

import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.util.ClassUtils;

import static org.assertj.core.api.Assertions.assertThat;

/** The starter with WebFlux, WebClient, RestClient, Kafka and AspectJ, and no actuator. */
class StarterAloneTests extends ExchangeSpansTests {

    @Override
    boolean observationsTraced() {
        return false;
    }

    @Test
    void thisClasspathHasNoActuatorAndNoObservationRegistry() {
        assertThat(ClassUtils.isPresent("org.springframework.boot.actuate.endpoint.annotation.Endpoint", null)).isFalse();
        assertThat(context.getBeanProvider(ObservationRegistry.class).getIfAvailable()).isNull();
    }

}
