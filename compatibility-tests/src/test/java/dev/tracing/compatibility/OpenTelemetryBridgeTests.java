package dev.tracing.compatibility;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Everything on the classpath, including Spring Boot's OpenTelemetry tracing module and the
 * Micrometer OpenTelemetry bridge, with Kafka's own observations on.
 */
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = { "spring.kafka.template.observation-enabled=true",
        "spring.kafka.listener.observation-enabled=true" })
class OpenTelemetryBridgeTests extends ObservedExchangeSpansTests {

    @Test
    void startUpSaysTheBridgeIsNotUsed(CapturedOutput output) {
        assertThat(context.getBeanNamesForType(io.opentelemetry.api.OpenTelemetry.class))
            .as("Boot's OpenTelemetry module is active")
            .isNotEmpty();
        BridgeLogLine.assertLoggedOnce(output, "OpenTelemetry");
    }

}
