package dev.tracing.instrument.annotation;

import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.annotation.ContinueSpan;
import io.micrometer.tracing.annotation.NewSpan;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.client.WebClient;

import static dev.tracing.testing.TraceAssertions.only;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * In a WebFlux application, a {@code @NewSpan} service method that returns a {@code Mono} is a
 * child of the request's SERVER span, and the WebClient call its chain makes is its child: the
 * span is the one its chain runs in, not only its call. A {@code @ContinueSpan} one writes its
 * events on the request's span as its chain starts and ends.
 */
@SpringBootTest(classes = AsyncSpanAnnotationWebFluxTests.App.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class AsyncSpanAnnotationWebFluxTests {

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Test
    void theWebClientCallOfANewSpanMonoIsItsChild() throws Exception {
        String traceId = "abf92f3577b34da6a3ce929d0e0e4736";
        HttpResponse<String> response = TraceAssertions.get(port, "/order", "traceparent",
                "00-" + traceId + "-00f067aa0ba902b7-01");
        assertThat(response.body()).isEqualTo("order with 3 in stock");

        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, traceId, 4);
        FinishedSpan order = only(spans, span -> span.getName().equals("GET /order"));
        FinishedSpan stockCheck = only(spans, span -> span.getName().equals("stock-check"));
        FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        assertThat(stockCheck.getParentId()).isEqualTo(order.getSpanId());
        assertThat(client.getParentId()).isEqualTo(stockCheck.getSpanId());
        // the span lasted until the call's answer came back
        assertThat(stockCheck.getEndTimestamp()).isAfterOrEqualTo(client.getEndTimestamp());
    }

    @Test
    void aContinueSpanMonosEventsFrameItsChainsWork() throws Exception {
        String traceId = "abf92f3577b34da6a3ce929d0e0e4737";
        HttpResponse<String> response = TraceAssertions.get(port, "/reserve", "traceparent",
                "00-" + traceId + "-00f067aa0ba902b7-01");
        assertThat(response.body()).isEqualTo("reserved 1 of 3");

        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, traceId, 3);
        FinishedSpan reserve = only(spans, span -> span.getName().equals("GET /reserve"));
        FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        assertThat(client.getParentId()).isEqualTo(reserve.getSpanId());
        Map<String, Long> events = new HashMap<>();
        reserve.getEvents().forEach(event -> events.put(event.getValue(), event.getKey()));
        assertThat(events).containsOnlyKeys("reserve.before", "reserve.after");
        // the events come when the chain's work starts and ends, around the call it makes
        assertThat(events.get("reserve.before")).isLessThanOrEqualTo(micros(client.getStartTimestamp()));
        assertThat(events.get("reserve.after")).isGreaterThanOrEqualTo(micros(client.getEndTimestamp()));
    }

    private static long micros(Instant instant) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, instant);
    }

    static class StockService {

        private final WebClient.Builder builder;

        private final Environment environment;

        StockService(WebClient.Builder builder, Environment environment) {
            this.builder = builder;
            this.environment = environment;
        }

        @NewSpan("stock-check")
        public Mono<String> stock() {
            return call();
        }

        @ContinueSpan(log = "reserve")
        public Mono<String> reserve() {
            return call().map(count -> "reserved 1 of " + count);
        }

        private Mono<String> call() {
            // the port is known once the server has started
            return builder.clone()
                .baseUrl("http://127.0.0.1:" + environment.getProperty("local.server.port"))
                .build()
                .get()
                .uri("/stock")
                .retrieve()
                .bodyToMono(String.class);
        }

    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        @Bean
        StockService stockService(WebClient.Builder builder, Environment environment) {
            return new StockService(builder, environment);
        }

        @RestController
        static class Endpoints {

            private final StockService stock;

            Endpoints(StockService stock) {
                this.stock = stock;
            }

            @GetMapping("/order")
            Mono<String> order() {
                return stock.stock().map(count -> "order with " + count + " in stock");
            }

            @GetMapping("/reserve")
            Mono<String> reserve() {
                return stock.reserve();
            }

            @GetMapping("/stock")
            Mono<String> stock() {
                return Mono.just("3");
            }

        }

    }

}
