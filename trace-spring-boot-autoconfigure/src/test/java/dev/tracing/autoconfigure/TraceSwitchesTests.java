package dev.tracing.autoconfigure;

import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A switch of the starter holding anything but true or false fails start-up naming it: such a value
 * turned the part off through its condition while the rest of the starter read it as on.
 */
class TraceSwitchesTests {

    @ParameterizedTest
    @ValueSource(strings = { "yes", "on", "1", "enabled" })
    void aSwitchThatIsNeitherTrueNorFalseFailsStartUpNamingIt(String value) {
        for (String name : TraceSwitchesEnvironmentPostProcessor.SWITCHES) {
            assertThatThrownBy(() -> start(name + "=" + value).close()).as(name)
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessageContaining(name)
                .hasMessageContaining("must be true or false");
        }
    }

    @Test
    void trueAndFalseInAnyCaseStart() {
        try (ConfigurableApplicationContext on = start("trace.web.server.enabled=TRUE", "trace.enabled=True")) {
            assertThat(on.getBeanProvider(Tracer.class).getIfAvailable()).isNotNull();
        }
        try (ConfigurableApplicationContext off = start("trace.enabled=FALSE")) {
            assertThat(off.getBeanProvider(Tracer.class).getIfAvailable()).isNull();
        }
    }

    private static ConfigurableApplicationContext start(String... properties) {
        return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
            .properties("spring.main.banner-mode=off")
            .properties(properties)
            .run();
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(TraceAutoConfiguration.class)
    static class App {

    }

}
