package dev.tracing.autoconfigure;

import java.util.Map;

import dev.tracing.testing.LogLines;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.CompositePropertySource;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

class ReplacedTracingPropertiesWarningTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class));

    @Test
    void propertiesOfBootsTracingOrSleuthAreNamedInOneWarningWithWhatToUseInstead() {
        try (LogLines log = LogLines.capture(ReplacedTracingPropertiesWarning.class.getName())) {
            runner.withPropertyValues("management.tracing.sampling.probability=0.1",
                    "management.tracing.baggage.remote-fields[0]=tenant", "management.tracing.baggage.remote-fields[1]=user",
                    "spring.sleuth.propagation.type=B3", "management.endpoints.web.exposure.include=traces",
                    "management.tracing.baggage.tag-fields=tenant")
                .run(context -> {
                    assertThat(context).hasSingleBean(Tracer.class);
                    assertThat(context.getBean(Tracer.class).nextSpan().isNoop()).isFalse();
                });
            assertThat(log.lines()).filteredOn(line -> line.message().contains("does not read these properties"))
                .singleElement()
                .satisfies(line -> assertThat(line.message())
                    .contains("management.tracing.baggage.remote-fields (use trace.baggage.remote-fields)")
                    .contains("management.tracing.sampling.probability (use trace.sampling.probability)")
                    .contains("spring.sleuth.propagation.type (use the trace.* properties)")
                    .contains("management.tracing.baggage.tag-fields (use trace.baggage.tag-fields)")
                    .doesNotContain("remote-fields[")
                    .doesNotContain("management.endpoints"));
        }
        try (LogLines log = LogLines.capture(ReplacedTracingPropertiesWarning.class.getName())) {
            runner.withPropertyValues("trace.sampling.probability=0.1").run(context -> assertThat(context).hasNotFailed());
            assertThat(log.lines()).noneMatch(line -> line.message().contains("does not read these properties"));
        }
        // as environment variables, the usual way in a container
        assertThat(ReplacedTracingPropertiesWarning.readInstead("MANAGEMENT_TRACING_SAMPLING_PROBABILITY"))
            .isEqualTo("trace.sampling.probability");
        assertThat(ReplacedTracingPropertiesWarning.readInstead("MANAGEMENT_TRACING_BAGGAGE_REMOTE_FIELDS"))
            .isEqualTo("trace.baggage.remote-fields");
        assertThat(ReplacedTracingPropertiesWarning.readInstead("MANAGEMENT_ENDPOINTS_WEB_EXPOSURE_INCLUDE")).isNull();
        // Boot's usual form drops the dashes
        assertThat(ReplacedTracingPropertiesWarning.readInstead("MANAGEMENT_TRACING_BAGGAGE_REMOTEFIELDS_0_"))
            .isEqualTo("trace.baggage.remote-fields");
    }

    @Test
    void theExportSwitchBootsTracingTestModuleSetsInTestContextsIsNotNamed() {
        // Boot's tracing test module (on this module's test classpath) sets management.tracing.export.enabled=false
        // in every test context through TestPropertyValues, as this runner sets its properties: a source named test
        try (LogLines log = LogLines.capture(ReplacedTracingPropertiesWarning.class.getName())) {
            runner.withPropertyValues("management.tracing.export.enabled=false")
                .run(context -> assertThat(context).hasNotFailed());
            assertThat(log.lines()).noneMatch(line -> line.message().contains("does not read these properties"));
        }
        // true, or false in the application's own properties, is the application's setting
        try (LogLines log = LogLines.capture(ReplacedTracingPropertiesWarning.class.getName())) {
            runner.withPropertyValues("management.tracing.export.enabled=true")
                .run(context -> assertThat(context).hasNotFailed());
            StandardEnvironment application = new StandardEnvironment();
            application.getPropertySources()
                .addFirst(new MapPropertySource("Config resource 'class path resource [application.properties]'",
                        Map.of("management.tracing.export.enabled", "false")));
            ReplacedTracingPropertiesWarning.warnIfSet(application);
            assertThat(log.lines()).filteredOn(line -> line.message().contains("does not read these properties"))
                .hasSize(2)
                .allSatisfy(line -> assertThat(line.message()).contains(
                        "management.tracing.export.enabled (use trace.enabled, or no trace.export.* endpoint)"));
        }
    }

    @Test
    void everyPropertyOfBootsTracingIsNamed() {
        // Boot 4's current names too, not only those with a trace.* twin
        assertThat(ReplacedTracingPropertiesWarning.readInstead("management.tracing.export.enabled"))
            .isEqualTo("trace.enabled, or no trace.export.* endpoint");
        assertThat(ReplacedTracingPropertiesWarning.readInstead("management.tracing.export.otlp.enabled"))
            .isEqualTo("trace.export.otlp.endpoint and headers");
        assertThat(ReplacedTracingPropertiesWarning.readInstead("management.tracing.baggage.local-fields"))
            .isEqualTo("trace.baggage.*");
        assertThat(ReplacedTracingPropertiesWarning.readInstead("management.opentelemetry.tracing.sampler"))
            .isEqualTo("trace.sampling.probability");
        assertThat(ReplacedTracingPropertiesWarning.readInstead("management.opentelemetry.tracing.export.max-batch-size"))
            .isEqualTo("trace.export.batch.*");
        assertThat(ReplacedTracingPropertiesWarning.readInstead("management.opentelemetry.tracing.limits.max-attributes"))
            .isEqualTo("trace.span-limits.*");
        assertThat(ReplacedTracingPropertiesWarning.readInstead("management.tracing.opentelemetry.export.timeout"))
            .isEqualTo("trace.export.batch.*");
        assertThat(ReplacedTracingPropertiesWarning.readInstead("management.tracing.something-new"))
            .isEqualTo("the trace.* properties");
        assertThat(ReplacedTracingPropertiesWarning.readInstead("management.brave.tracing.span-joining-supported"))
            .isEqualTo("the trace.* properties");
        assertThat(ReplacedTracingPropertiesWarning.readInstead("management.opentelemetry.resource-attributes.service.name"))
            .isEqualTo("trace.service-name");
        assertThat(ReplacedTracingPropertiesWarning.readInstead("management.opentelemetry.resource-attributes.service.namespace"))
            .startsWith("no equivalent for spans");
        // where nothing replaces it, the warning says so rather than naming a property that does not do it
        assertThat(ReplacedTracingPropertiesWarning.readInstead("management.tracing.baggage.tag-fields"))
            .isEqualTo("trace.baggage.tag-fields");
        assertThat(ReplacedTracingPropertiesWarning.readInstead("MANAGEMENT_OPENTELEMETRY_RESOURCEATTRIBUTES_DEPLOYMENT_ENVIRONMENT"))
            .startsWith("no equivalent for spans");
    }

    @Test
    void aPropertySourceThatCannotListItsNamesDoesNotStopStartup() {
        // a composite with a source that cannot list its names throws when asked for them
        CompositePropertySource composite =
                new CompositePropertySource("bootstrap");
        composite.addPropertySource(new PropertySource<Object>("opaque", new Object()) {
            @Override
            public Object getProperty(String name) {
                return null;
            }
        });
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(composite);
        environment.getPropertySources()
            .addLast(new MapPropertySource("application",
                    Map.of("management.tracing.sampling.probability", "0.1")));
        try (LogLines log = LogLines.capture(ReplacedTracingPropertiesWarning.class.getName())) {
            ReplacedTracingPropertiesWarning.warnIfSet(environment);
            assertThat(log.lines()).filteredOn(line -> line.message().contains("does not read these properties"))
                .singleElement()
                .satisfies(line -> assertThat(line.message()).contains("management.tracing.sampling.probability"));
        }
    }

}
