package dev.tracing.instrument.web;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.client.RestClient;

import static dev.tracing.testing.TraceAssertions.assertError;
import static dev.tracing.testing.TraceAssertions.awaitTrace;
import static dev.tracing.testing.TraceAssertions.only;
import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A plain Spring MVC service as a new user writes one: {@code /orders/{id}} calls
 * {@code /stock/{id}} through a {@code RestClient} from Boot's builder with a URI template, an
 * {@code @ExceptionHandler} turns one failure into a 500, another failure is unhandled, and a
 * frequent {@code @Scheduled} heartbeat fills the traces list. The order trace is found by name
 * among the heartbeats, its CLIENT span is named by the template, and each failure carries the
 * exception the application threw, with its message.
 */
@SpringBootTest(classes = OrdersServiceTests.OrdersApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=servlet", "spring.application.name=orders",
                "trace.sampling.rate-limit=0", "trace.export.memory.max-traces-per-second=0",
                "management.endpoints.web.exposure.include=traces", "trace.web.server.response-header=X-Trace-Id",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class OrdersServiceTests {

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Autowired
    OrdersApp.Heartbeat heartbeat;

    @Test
    void theOrderTraceIsFoundAmongAHundredHeartbeatsAndItsClientSpanIsNamedByTheTemplate() throws Exception {
        HttpResponse<String> order = get("/orders/42");
        assertThat(order.statusCode()).isEqualTo(200);
        String traceId = traceId(order);
        assertThat(order.body()).isEqualTo("3 of 42");
        // a hundred heartbeats after the order's answer: on a loaded machine the first request can take
        // longer than the heartbeats of the whole start-up
        int beatsBeforeAnswer = heartbeat.beats.get();
        await().atMost(Duration.ofSeconds(20)).until(() -> heartbeat.beats.get() >= beatsBeforeAnswer + 100);

        JsonNode byName = JsonMapper.builder().build().readTree(get("/actuator/traces?name=orders&kind=SERVER").body());
        assertThat(byName).hasSize(1);
        assertThat(byName.get(0).get("traceId").asString()).isEqualTo(traceId);
        JsonNode all = JsonMapper.builder().build().readTree(get("/actuator/traces").body());
        assertThat(all).as("the default list: heartbeats only").allSatisfy(
                summary -> assertThat(summary.get("name").asString()).isEqualTo("task heartbeat.beat"));

        List<FinishedSpan> spans = awaitTrace(store, traceId, 3);
        FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        assertThat(client.getName()).isEqualTo("GET /stock/{id}");
        assertThat(client.getTags()).containsEntry("url.template", "/stock/{id}");
    }

    @Test
    void handledAndUnhandledFailuresCarryTheExceptionTheApplicationThrew() throws Exception {
        HttpResponse<String> boom = get("/boom");
        assertThat(boom.statusCode()).isEqualTo(500);
        FinishedSpan handled = awaitTrace(store, traceId(boom), 1).get(0);
        assertError(handled, IllegalStateException.class).hasMessage("kaboom");
        assertThat(handled.getTags()).containsEntry("http.response.status_code", "500");

        HttpResponse<String> crash = get("/crash");
        assertThat(crash.statusCode()).isEqualTo(500);
        FinishedSpan unhandled = awaitTrace(store, traceId(crash), 1).get(0);
        assertError(unhandled, UnsupportedOperationException.class).hasMessage("unhandled crash");
    }

    private HttpResponse<String> get(String path) throws Exception {
        return TraceAssertions.get(port, path);
    }

    private static String traceId(HttpResponse<String> response) {
        return response.headers().firstValue("X-Trace-Id").orElseThrow();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @EnableScheduling
    static class OrdersApp {

        @Bean
        Heartbeat heartbeat() {
            return new Heartbeat();
        }

        static class Heartbeat {

            final AtomicInteger beats = new AtomicInteger();

            @Scheduled(fixedRate = 10)
            void beat() {
                beats.incrementAndGet();
            }

        }

        /** Registered as a member class of the configuration, as the advice below. */
        @RestController
        static class Orders {

            private final RestClient.Builder builder;

            private final Environment environment;

            Orders(RestClient.Builder builder, Environment environment) {
                this.builder = builder;
                this.environment = environment;
            }

            @GetMapping("/orders/{id}")
            String order(@PathVariable String id) {
                return builder.baseUrl("http://127.0.0.1:" + environment.getProperty("local.server.port"))
                    .build()
                    .get()
                    .uri("/stock/{id}?src={src}", id, "orders")
                    .retrieve()
                    .body(String.class);
            }

            @GetMapping("/stock/{id}")
            String stock(@PathVariable String id) {
                return "3 of " + id;
            }

            @GetMapping("/boom")
            String boom() {
                throw new IllegalStateException("kaboom");
            }

            @GetMapping("/crash")
            String crash() {
                throw new UnsupportedOperationException("unhandled crash");
            }

        }

        @RestControllerAdvice
        static class Failures {

            @ExceptionHandler(IllegalStateException.class)
            ResponseEntity<String> handle(IllegalStateException ex) {
                return ResponseEntity.status(HttpStatus.INTERNAL_SERVER_ERROR).body("handled: " + ex.getMessage());
            }

        }

    }

}
