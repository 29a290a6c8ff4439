package dev.tracing.test;

import java.io.InputStream;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/** The test kit's settings: checked at start-up, naming the property, and documented with their defaults. */
class TraceTestPropertiesTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(TraceTestAutoConfiguration.class));

    @Test
    void aNegativeTimeoutOrGraceFailsStartUpNamingTheProperty() {
        for (String property : new String[] { "trace.test.timeout", "trace.test.strict-grace" }) {
            runner.withPropertyValues(property + "=-1s").run(context -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("must be zero or positive");
                assertThat(messages(context.getStartupFailure())).as(property).contains(property);
            });
        }
        runner.withPropertyValues("trace.test.timeout=0s", "trace.test.strict-grace=0s")
            .run(context -> assertThat(context).hasNotFailed());
    }

    @Test
    void theGeneratedMetadataHasTheDefaults() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            JsonNode properties = JsonMapper.builder().build().readTree(in).get("properties");
            assertThat(properties).anySatisfy(property -> {
                assertThat(property.get("name").asString()).isEqualTo("trace.test.timeout");
                assertThat(property.get("defaultValue").asString()).isEqualTo("10s");
            });
            assertThat(properties).anySatisfy(property -> {
                assertThat(property.get("name").asString()).isEqualTo("trace.test.strict-grace");
                assertThat(property.get("defaultValue").asString()).isEqualTo("2s");
            });
        }
    }

    private static String messages(Throwable failure) {
        StringBuilder all = new StringBuilder();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            all.append(cause.getMessage()).append('\n');
        }
        return all.toString();
    }

}
