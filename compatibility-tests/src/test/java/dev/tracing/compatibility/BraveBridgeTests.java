package dev.tracing.compatibility;

import dev.tracing.core.TraceTracer;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spring Boot's Brave module (spring-boot-micrometer-tracing-brave, with the Micrometer Brave
 * bridge) beside Boot's tracing module: Boot would configure Brave as the tracer; with the
 * starter, ours is the one tracer and propagator, and every exchange still gets exactly one span.
 */
@ExtendWith(OutputCaptureExtension.class)
class BraveBridgeTests extends ObservedExchangeSpansTests {

    @Test
    void startUpSaysTheBridgeIsNotUsed(CapturedOutput output) {
        BridgeLogLine.assertLoggedOnce(output, "Brave");
    }

    @Test
    void bootsBraveModuleLeavesTheTracerAndThePropagatorToOurs() {
        assertThat(context.getBeansOfType(Tracer.class).values()).singleElement().isInstanceOf(TraceTracer.class);
        assertThat(context.getBeansOfType(Propagator.class)).hasSize(1);
        assertThat(context.getBeanNamesForType(Propagator.class)).containsExactly("tracePropagator");
    }

}
