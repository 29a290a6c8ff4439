package dev.tracing.compatibility;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * The Micrometer Brave bridge on the classpath beside Spring Boot's tracing module (Boot 4.1 has
 * no Brave auto-configuration that resolves, so nothing wires Brave by itself).
 */
@ExtendWith(OutputCaptureExtension.class)
class BraveBridgeTests extends ObservedExchangeSpansTests {

    @Test
    void startUpSaysTheBridgeIsNotUsed(CapturedOutput output) {
        BridgeLogLine.assertLoggedOnce(output, "Brave");
    }

}
