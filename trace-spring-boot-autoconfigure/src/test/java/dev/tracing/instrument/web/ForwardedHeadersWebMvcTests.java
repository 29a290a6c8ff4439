package dev.tracing.instrument.web;

import java.net.http.HttpResponse;
import java.util.List;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Behind a proxy, with Spring's forwarded-header filter ({@code server.forward-headers-strategy=framework}),
 * the SERVER span records the request as the proxy's client made it, as WebFlux's does.
 */
@SpringBootTest(classes = TraceWebMvcTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=servlet", "spring.application.name=mvc-forwarded",
                "server.forward-headers-strategy=framework", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0", "trace.web.server.response-header=traceresponse",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class ForwardedHeadersWebMvcTests {

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Autowired
    org.springframework.beans.factory.config.ConfigurableListableBeanFactory beanFactory;

    @Test
    void ourFilterRunsAfterTheForwardedHeaderFilterAndBeforeBootsObservationFilter() {
        // Boot's observation filter has our order too: ours must be first, so its Observation finds our span
        List<String> filters = new org.springframework.boot.web.servlet.ServletContextInitializerBeans(beanFactory)
            .stream()
            .filter(org.springframework.boot.web.servlet.FilterRegistrationBean.class::isInstance)
            .map(bean -> ((org.springframework.boot.web.servlet.FilterRegistrationBean<?>) bean).getFilter()
                .getClass()
                .getSimpleName())
            .toList();
        assertThat(filters).containsSubsequence("ForwardedHeaderFilter", "TraceServletFilter",
                "ServerHttpObservationFilter");
    }

    @Test
    void aForwardedRequestsServerSpanRecordsTheProxysClientsRequest() throws Exception {
        HttpResponse<String> response = TraceAssertions.get(port, "/mvc/page/404", "X-Forwarded-Host", "shop.example",
                "X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.7");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(TraceAssertions.awaitTrace(store, TraceWebMvcTests.traceId(response), 1)).singleElement()
            .satisfies(span -> {
                assertThat(span.getKind()).isEqualTo(Span.Kind.SERVER);
                assertThat(span.getTags()).containsEntry("url.scheme", "https")
                    .containsEntry("server.address", "shop.example")
                    .containsEntry("client.address", "203.0.113.7");
            });
    }

}
