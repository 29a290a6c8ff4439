package dev.tracing.autoconfigure;

import java.util.List;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Fails start-up, naming the property, when a switch of this starter ({@code trace.enabled},
 * {@code trace.web.server.enabled}, ...) holds anything but {@code true} or {@code false}.
 *
 * <p>Design notes: each switch turns a part on or off through a condition that matches the text
 * {@code true} only, while the properties object bound from the same value reads {@code yes},
 * {@code on} or {@code 1} as true too. With such a value a part was off while the rest of the
 * starter took it for on: {@code trace.web.server.enabled=yes} left requests with no SERVER span
 * at all, Spring's Observation of the request refused as already traced. One accepted spelling
 * keeps the two readings the same.
 */
public final class TraceSwitchesEnvironmentPostProcessor implements EnvironmentPostProcessor {

    /** Every switch a condition of this starter (or its test kit) reads. */
    static final List<String> SWITCHES = List.of("trace.enabled", "trace.annotations.enabled",
            "trace.export.logging.enabled", "trace.export.memory.enabled", "trace.grpc.enabled",
            "trace.grpc.client.enabled", "trace.grpc.server.enabled", "trace.kafka.enabled",
            "trace.web.client.enabled", "trace.web.client.trim-connect-context", "trace.web.server.enabled",
            "trace.test.strict");

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        for (String name : SWITCHES) {
            String value = environment.getProperty(name);
            if (value != null && !"true".equalsIgnoreCase(value) && !"false".equalsIgnoreCase(value)) {
                throw new InvalidConfigurationPropertyValueException(name, value, "must be true or false");
            }
        }
    }

}
