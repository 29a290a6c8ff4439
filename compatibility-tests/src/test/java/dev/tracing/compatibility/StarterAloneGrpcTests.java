package dev.tracing.compatibility;

import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.util.ClassUtils;

import static org.assertj.core.api.Assertions.assertThat;

/** gRPC with the starter alone: no actuator, no ObservationRegistry, still one span per side. */
class StarterAloneGrpcTests extends GrpcExchangeSpansTests {

    @Test
    void thisClasspathHasNoActuatorAndNoObservationRegistry() {
        assertThat(ClassUtils.isPresent("org.springframework.boot.actuate.endpoint.annotation.Endpoint", null)).isFalse();
        assertThat(context.getBeanProvider(ObservationRegistry.class).getIfAvailable()).isNull();
    }

}
