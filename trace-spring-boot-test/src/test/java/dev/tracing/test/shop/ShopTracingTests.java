package dev.tracing.test.shop;

import dev.tracing.test.TestSpans;
import io.micrometer.tracing.Span;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.test.web.reactive.server.WebTestClient;

import static dev.tracing.test.TraceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's example: a WebFlux application with a WebClient call and a Kafka hop, tested with
 * {@code @SpringBootTest} on a real server and an embedded broker. The spans are the ones the
 * application's own tracer and pipeline produced; nothing in the test configures tracing.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive",
                "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}",
                "spring.kafka.consumer.auto-offset-reset=earliest" })
@AutoConfigureWebTestClient
@EmbeddedKafka(topics = "orders")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShopTracingTests {

    @Autowired
    WebTestClient client;

    @Autowired
    TestSpans spans;

    @Test
    @Order(1)
    void anOrderIsOneTraceFromTheRequestThroughTheStockCallToTheListener() {
        client.get().uri("/orders/42").exchange().expectStatus().isOk();
        spans.awaitSpan("process orders"); // the listener's span ends on the consumer's thread

        assertThat(spans).hasSingleTrace().hasNoErrors().hasSize(5);
        assertThat(spans).hasSpan(Span.Kind.SERVER, "GET /orders/{id}")
            .isRoot()
            .hasTag("url.path", "/orders/42")
            .hasChildNamed("GET /stock/{id}")
            .hasKind(Span.Kind.CLIENT)
            .hasTag("url.template", "/stock/{id}")
            .hasChildNamed("GET /stock/{id}")
            .hasKind(Span.Kind.SERVER)
            .hasTag("http.response.status_code", "200");
        assertThat(spans).hasSpanNamed("process orders")
            .hasKind(Span.Kind.CONSUMER)
            .hasTag("messaging.destination.name", "orders")
            .parent()
            .hasName("send orders")
            .hasKind(Span.Kind.PRODUCER)
            .parent()
            .hasName("GET /orders/{id}");
    }

    @Test
    @Order(2)
    void eachTestStartsWithNoSpans() {
        assertThat(spans.all()).isEmpty();
    }

}
