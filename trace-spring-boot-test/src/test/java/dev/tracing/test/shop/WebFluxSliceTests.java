package dev.tracing.test.shop;

import dev.tracing.test.TestSpans;
import io.micrometer.tracing.Span;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webflux.test.autoconfigure.WebFluxTest;
import org.springframework.test.web.reactive.server.WebTestClient;

import static dev.tracing.test.TraceAssertions.assertThat;

/** In a {@code @WebFluxTest} slice the starter's WebFlux tracing and the kit are there too. */
@WebFluxTest(controllers = HelloController.class)
class WebFluxSliceTests {

    @Autowired
    WebTestClient client;

    @Autowired
    TestSpans spans;

    @Test
    void aRequestToTheSliceIsAServerSpanWithTheControllersTag() {
        client.get().uri("/hello").exchange().expectStatus().isOk();
        assertThat(spans).hasSize(1)
            .hasSpan(Span.Kind.SERVER, "GET /hello")
            .hasTag("greeting", "hello")
            .hasTag("http.response.status_code", "200");
    }

    @Test
    void anExceptionAnsweredFromItsResponseStatusHasThatStatusAsOnARealServer() {
        // the mock server runs the exception handlers inside the span, as Boot's server does
        client.get().uri("/hello/nobody").exchange().expectStatus().isNotFound();
        assertThat(spans).hasSize(1)
            .hasNoErrors()
            .hasSpan(Span.Kind.SERVER, "GET /hello/{name}")
            .hasTag("http.response.status_code", "404");
    }

}
