package dev.tracing.autoconfigure;

import java.util.Map;

import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionEvaluationReport;
import org.springframework.boot.autoconfigure.condition.ConditionEvaluationReport.ConditionAndOutcomes;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
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

    /**
     * With tracing off, Spring skips each auto-configuration of ours on its first condition: it
     * reads neither its nested classes nor its bean methods (whose conditions the report would list).
     */
    @Test
    void tracingOffSkipsOurAutoConfigurationsBeforeReadingTheirNestedClasses() {
        new ReactiveWebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class, TraceWebFluxAutoConfiguration.class,
                    TraceObservationAutoConfiguration.class, TraceReactorAutoConfiguration.class))
            .withPropertyValues("trace.enabled=false")
            .run(context -> {
                Map<String, ConditionAndOutcomes> report = ConditionEvaluationReport.get(context.getBeanFactory())
                    .getConditionAndOutcomesBySource();
                assertThat(report.keySet()).noneMatch(source -> source.startsWith(
                        TraceWebFluxAutoConfiguration.class.getName() + "$"))
                    .noneMatch(source -> source.startsWith(TraceObservationAutoConfiguration.class.getName() + "$"));
                assertThat(report.get(TraceWebFluxAutoConfiguration.class.getName()).isFullMatch()).isFalse();
                assertThat(report.get(TraceWebFluxAutoConfiguration.class.getName()))
                    .anySatisfy(outcome -> assertThat(outcome.getOutcome().getMessage()).contains("trace.enabled"));
            });
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
