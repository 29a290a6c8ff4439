package dev.tracing.autoconfigure;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import dev.tracing.actuate.TracesEndpoint;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.endpoint.web.WebEndpointAutoConfiguration;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

class TracesEndpointAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(
            AutoConfigurations.of(TraceAutoConfiguration.class, TracesEndpointAutoConfiguration.class,
                    EndpointAutoConfiguration.class, WebEndpointAutoConfiguration.class));

    @Test
    void registeredWhenExposed() {
        runner.withPropertyValues("management.endpoints.web.exposure.include=traces")
            .run(context -> assertThat(context).hasSingleBean(TracesEndpoint.class));
    }

    @Test
    void notRegisteredWhenNotExposed() {
        runner.run(context -> assertThat(context).doesNotHaveBean(TracesEndpoint.class));
    }

    @Test
    void notRegisteredWithoutTheMemoryStore() {
        runner.withPropertyValues("management.endpoints.web.exposure.include=traces", "trace.export.memory.enabled=false")
            .run(context -> assertThat(context).doesNotHaveBean(TracesEndpoint.class));
    }

    @Test
    void notRegisteredWhenTracingIsOff() {
        runner.withPropertyValues("management.endpoints.web.exposure.include=traces", "trace.enabled=false")
            .run(context -> assertThat(context).doesNotHaveBean(TracesEndpoint.class));
    }

    @Test
    void withoutActuatorNothingOfItIsRegisteredAndNothingFails() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class, TracesEndpointAutoConfiguration.class))
            .withClassLoader(new FilteredClassLoader(Endpoint.class))
            .withPropertyValues("management.endpoints.web.exposure.include=traces")
            .run(context -> {
                assertThat(context).hasNotFailed();
                assertThat(context).doesNotHaveBean(TracesEndpoint.class);
                assertThat(context).hasBean("traceTracer");
            });
    }


}
