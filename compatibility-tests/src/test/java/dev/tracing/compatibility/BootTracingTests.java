package dev.tracing.compatibility;

import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The starter with actuator, Prometheus and Spring Boot's tracing module, whose observation
 * handlers would give every exchange a second span and a second set of headers.
 */
class BootTracingTests extends ObservedExchangeSpansTests {

    @Test
    void bootsTracingHandlersBackedOffForOurs() {
        assertThat(context.getBeansOfType(DefaultTracingObservationHandler.class).values()).singleElement()
            .satisfies(handler -> assertThat(handler.getClass().getName()).startsWith("dev.tracing."));
        assertThat(context.getBeansOfType(PropagatingSenderTracingObservationHandler.class).values()).singleElement()
            .satisfies(handler -> assertThat(handler.getClass().getName()).startsWith("dev.tracing."));
        assertThat(context.getBeansOfType(PropagatingReceiverTracingObservationHandler.class).values()).singleElement()
            .satisfies(handler -> assertThat(handler.getClass().getName()).startsWith("dev.tracing."));
    }

}
