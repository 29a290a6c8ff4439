package dev.tracing.autoconfigure;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/** A refused endpoint fails start-up with Boot's report naming the property, never showing the credentials in it. */
@ExtendWith(OutputCaptureExtension.class)
class InvalidHiddenPropertyFailureAnalyzerTests {

    @Test
    void anEndpointWithCredentialsIsNamedNotShown(CapturedOutput output) {
        SpringApplication application = new SpringApplication(App.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        assertThatException().isThrownBy(() -> application.run("--trace.export.otlp.endpoint=http://user:s3cr3t@collector:4318?key=t0ken",
                "--spring.main.banner-mode=off"));
        assertThat(output.getOut() + output.getErr()).contains("APPLICATION FAILED TO START")
            .contains("Invalid value for configuration property 'trace.export.otlp.endpoint' (not shown: it can hold "
                    + "credentials): must be the URL that spans are posted to, with its path")
            .doesNotContain("s3cr3t")
            .doesNotContain("t0ken");
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({ TraceAutoConfiguration.class, TraceExportersAutoConfiguration.class,
            TraceBatchingAutoConfiguration.class })
    static class App {

    }

}
