package dev.tracing.autoconfigure;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A test of an application that moved from Spring Boot's tracing and kept Boot's tracing test module
 * ({@code spring-boot-micrometer-tracing-test}): the module turns Boot's export off in the test
 * context, and the starter's migration warning does not name what the application did not set.
 */
@SpringBootTest(classes = BootsTracingTestModuleTests.App.class, properties = "spring.main.banner-mode=off")
@ExtendWith(OutputCaptureExtension.class)
class BootsTracingTestModuleTests {

    @Autowired
    ConfigurableEnvironment environment;

    @Test
    void itsExportSwitchInTheTestContextIsNotNamedInTheMigrationWarning(CapturedOutput output) {
        PropertySource<?> setByTheModule = environment.getPropertySources().get("test");
        assertThat(setByTheModule).isNotNull();
        assertThat(setByTheModule.getProperty("management.tracing.export.enabled")).isEqualTo("false");
        assertThat(output.getOut()).doesNotContain("does not read these properties");
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(TraceAutoConfiguration.class)
    static class App {

    }

}
