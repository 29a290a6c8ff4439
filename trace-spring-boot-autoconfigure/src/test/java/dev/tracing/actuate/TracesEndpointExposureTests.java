package dev.tracing.actuate;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import dev.tracing.autoconfigure.TraceAutoConfiguration;
import dev.tracing.autoconfigure.TracesEndpointAutoConfiguration;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Like every actuator endpoint but health, the traces endpoint and the traceview page are not
 * reachable over HTTP until exposed, and both need the in-memory store. Both are web endpoints only,
 * never MBeans.
 */
class TracesEndpointExposureTests {

    @Test
    void notExposedOverHttpByDefault() throws Exception {
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(TracesEndpointHttpTests.App.class)
            .properties("spring.main.web-application-type=reactive", "server.port=0", "spring.main.banner-mode=off")
            .run()) {
            int port = ((WebServerApplicationContext) context).getWebServer().getPort();
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> traces = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/traces")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> health = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> page = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/traceview")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(traces.statusCode()).isEqualTo(404);
            assertThat(page.statusCode()).isEqualTo(404);
        }
    }

    @Test
    void notAnMBeanEvenWithEveryEndpointExposedOverJmx() throws Exception {
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(TracesEndpointHttpTests.App.class)
            .properties("spring.main.web-application-type=reactive", "server.port=0", "spring.main.banner-mode=off",
                    "spring.jmx.enabled=true", "spring.jmx.default-domain=traces-exposure-test",
                    "management.endpoints.jmx.exposure.include=*",
                    "management.endpoints.web.exposure.include=traces,traceview")
            .run()) {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            // JMX exposure is on: Boot's own endpoints are there
            assertThat(server.queryNames(new ObjectName("traces-exposure-test:type=Endpoint,name=Health,*"), null))
                .isNotEmpty();
            // trace data and the page stay behind the HTTP security a user sets up for them
            assertThat(server.queryNames(new ObjectName("traces-exposure-test:type=Endpoint,*"), null))
                .extracting(name -> name.getKeyProperty("name"))
                .doesNotContain("Traces", "Traceview");
            int port = ((WebServerApplicationContext) context).getWebServer().getPort();
            HttpResponse<String> traces = HttpClient.newHttpClient()
                .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/traces")).build(),
                        HttpResponse.BodyHandlers.ofString());
            assertThat(traces.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void thePageNeedsTheInMemoryStore() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class,
                TracesEndpointAutoConfiguration.class))
            .withPropertyValues("management.endpoints.web.exposure.include=traces,traceview")
            .run(context -> assertThat(context).hasSingleBean(TraceViewEndpoint.class)
                .hasSingleBean(TracesEndpoint.class))
            .withPropertyValues("trace.export.memory.enabled=false")
            .run(context -> assertThat(context).doesNotHaveBean(TraceViewEndpoint.class)
                .doesNotHaveBean(TracesEndpoint.class));
    }

}
