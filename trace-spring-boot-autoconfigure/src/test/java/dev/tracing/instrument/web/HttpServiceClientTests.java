package dev.tracing.instrument.web;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.service.annotation.GetExchange;
import org.springframework.web.service.registry.ImportHttpServices;
import org.springframework.web.util.DefaultUriBuilderFactory;
import org.springframework.web.util.UriBuilderFactory;

import static dev.tracing.testing.TraceAssertions.only;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An HTTP service client ({@code @ImportHttpServices} of an {@code @GetExchange} interface), whose
 * {@code RestClient} Spring Boot builds for the group with the {@code RestClientCustomizer}s, makes
 * a CLIENT span of the request's trace and sends its {@code traceparent}.
 */
@SpringBootTest(classes = HttpServiceClientTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=servlet", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class HttpServiceClientTests {

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Test
    void anHttpServiceClientsCallIsAClientSpanOfTheRequest() throws Exception {
        String traceId = "9bf92f3577b34da6a3ce929d0e0e4736";
        HttpResponse<String> response = TraceAssertions.get(port, "/orders/7", "traceparent",
                "00-" + traceId + "-00f067aa0ba902b7-01");
        assertThat(response.body()).isEqualTo("stock of 7");

        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, traceId, 3);
        FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        FinishedSpan orders = only(spans,
                span -> span.getKind() == Span.Kind.SERVER && span.getName().equals("GET /orders/{id}"));
        assertThat(client.getParentId()).isEqualTo(orders.getSpanId());
        assertThat(App.traceparents.get("7")).isEqualTo("00-" + traceId + "-" + client.getSpanId() + "-01");
    }

    interface StockClient {

        @GetExchange("/stock/{id}")
        String stock(UriBuilderFactory base, @PathVariable String id);

    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @ImportHttpServices(group = "stock", types = StockClient.class)
    static class App {

        static final Map<String, String> traceparents = new ConcurrentHashMap<>();

        @RestController
        static class Endpoints {

            private final StockClient stock;

            private final Environment environment;

            Endpoints(StockClient stock, Environment environment) {
                this.stock = stock;
                this.environment = environment;
            }

            @GetMapping("/orders/{id}")
            String order(@PathVariable String id) {
                return stock.stock(new DefaultUriBuilderFactory("http://127.0.0.1:" + environment.getProperty("local.server.port")),
                        id);
            }

            @GetMapping("/stock/{id}")
            String stock(@PathVariable String id, @RequestHeader("traceparent") String traceparent) {
                traceparents.put(id, traceparent);
                return "stock of " + id;
            }

        }

    }

}
