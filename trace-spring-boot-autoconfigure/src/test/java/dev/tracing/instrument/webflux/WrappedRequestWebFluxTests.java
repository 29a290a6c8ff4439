package dev.tracing.instrument.webflux;

import java.net.http.HttpResponse;
import java.util.List;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.http.server.reactive.HttpHandlerDecoratorFactory;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;

import static dev.tracing.testing.TraceAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An application's own HttpHandler decorator that hands Spring a wrapper of the server's request:
 * the exchange is built over the wrapper, whose attributes are not the exchange's, so the filter
 * hands the exchange to the span. Still one SERVER span, named after the route, with the failure.
 */
@SpringBootTest(classes = { WebFluxTracingApp.class, WrappedRequestWebFluxTests.WrappingDecorator.class },
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "spring.application.name=wrapped",
                "trace.web.server.response-header=traceresponse", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class WrappedRequestWebFluxTests {

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Test
    void aWrappedRequestHasOneServerSpanNamedAfterTheRoute() throws Exception {
        WebFluxTracingApp.chainFilters = List.of(); // no earlier request's chain
        HttpResponse<String> response = TraceAssertions.get(port, "/span-attribute/42");
        assertThat(response.statusCode()).isEqualTo(200);
        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, traceId(response), 1);
        assertThat(spans).singleElement().satisfies(span -> {
            assertThat(span.getKind()).isEqualTo(Span.Kind.SERVER);
            assertThat(span.getName()).isEqualTo("GET /span-attribute/{id}");
            assertThat(span.getTags()).containsEntry("http.route", "/span-attribute/{id}");
            assertThat(response.body()).isEqualTo(span.getSpanId());
        });
        // the exchange is built over a wrapper, whose attributes are not the exchange's: our filter hands it over
        assertThat(WebFluxTracingApp.chainFilters).contains("TraceWebFilter");
    }

    @Test
    void aWrappedRequestsFailureIsRecorded() throws Exception {
        HttpResponse<String> failed = TraceAssertions.get(port, "/handled/failed");
        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(TraceAssertions.awaitTrace(store, traceId(failed), 1)).singleElement().satisfies(span -> {
            assertThat(span.getName()).isEqualTo("GET /handled/{outcome}");
            assertError(span, WebFluxTracingApp.OrderFailed.class);
        });
    }

    private static String traceId(HttpResponse<String> response) {
        return response.headers().firstValue("traceresponse").orElseThrow().substring(3, 35);
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class WrappingDecorator {

        @Bean
        HttpHandlerDecoratorFactory wrappingRequests() {
            return handler -> (request, response) -> handler.handle(new ServerHttpRequestDecorator(request) {
            }, response);
        }

    }

}
