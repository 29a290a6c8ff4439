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
import org.springframework.boot.test.web.server.LocalServerPort;

import static dev.tracing.testing.TraceAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * With Spring's forwarded-header transformer the exchange's request is a copy of the server's,
 * made after our decorator started the span and before our filter sees it: still one SERVER span,
 * named after the route, with the handler's failure.
 */
@SpringBootTest(classes = WebFluxTracingApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "spring.application.name=forwarded",
                "server.forward-headers-strategy=framework", "trace.web.server.response-header=traceresponse",
                "trace.sampling.rate-limit=0", "trace.export.memory.max-traces-per-second=0",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class ForwardedHeadersWebFluxTests {

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Test
    void aForwardedRequestHasOneServerSpanNamedAfterTheRoute() throws Exception {
        HttpResponse<String> response = TraceAssertions.get(port, "/users/42", "X-Forwarded-Host", "shop.example",
                "X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.7");
        assertThat(response.statusCode()).isEqualTo(200);
        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, traceId(response), 1);
        assertThat(spans).singleElement().satisfies(span -> {
            assertThat(span.getKind()).isEqualTo(Span.Kind.SERVER);
            assertThat(span.getName()).isEqualTo("GET /users/{id}");
            // the request as the proxy's client made it, as the application sees it
            assertThat(span.getTags()).containsEntry("http.route", "/users/{id}")
                .containsEntry("url.scheme", "https")
                .containsEntry("server.address", "shop.example")
                .containsEntry("client.address", "203.0.113.7");
        });
    }

    @Test
    void theExchangeAttributeHoldsTheForwardedRequestsServerSpan() throws Exception {
        WebFluxTracingApp.chainFilters = List.of(); // no earlier request's chain
        HttpResponse<String> response = TraceAssertions.get(port, "/span-attribute/3", "X-Forwarded-Host",
                "shop.example");
        assertThat(response.statusCode()).isEqualTo(200);
        FinishedSpan span = TraceAssertions.awaitTrace(store, traceId(response), 1).get(0);
        assertThat(span.getName()).isEqualTo("GET /span-attribute/{id}");
        assertThat(response.body()).isEqualTo(span.getSpanId());
        // the exchange is built over a forwarded copy, whose attributes are not the exchange's: our filter hands it over
        assertThat(WebFluxTracingApp.chainFilters).contains("TraceWebFilter");
    }

    @Test
    void aForwardedRequestsFailureInTheFirstFilterIsRecorded() throws Exception {
        HttpResponse<String> failed = TraceAssertions.get(port, "/early-failure", "X-Forwarded-Host", "shop.example");
        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(TraceAssertions.awaitTrace(store, traceId(failed), 1)).singleElement()
            .satisfies(span -> assertThat(span.getError()).hasMessage("failed before the handler"));
    }

    @Test
    void aForwardedRequestsFailureIsRecorded() throws Exception {
        HttpResponse<String> failed = TraceAssertions.get(port, "/handled/failed", "X-Forwarded-Host", "shop.example");
        assertThat(failed.statusCode()).isEqualTo(500);
        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, traceId(failed), 1);
        assertThat(spans).singleElement().satisfies(span -> {
            assertThat(span.getName()).isEqualTo("GET /handled/{outcome}");
            assertError(span, WebFluxTracingApp.OrderFailed.class);
        });

        HttpResponse<String> unhandled = TraceAssertions.get(port, "/fail", "X-Forwarded-Host", "shop.example");
        assertThat(unhandled.statusCode()).isEqualTo(500);
        assertThat(TraceAssertions.awaitTrace(store, traceId(unhandled), 1)).singleElement()
            .satisfies(span -> assertThat(span.getError()).hasMessage("handler failed"));
    }

    private static String traceId(HttpResponse<String> response) {
        return response.headers().firstValue("traceresponse").orElseThrow().substring(3, 35);
    }

}
