package dev.tracing.instrument.web;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;

import static dev.tracing.testing.TraceAssertions.only;
import static org.assertj.core.api.Assertions.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * With {@code spring.threads.virtual.enabled=true} (Java 21+), Tomcat serves each request on a
 * virtual thread of its own: the request's SERVER span continues the caller's trace there, its
 * log lines carry the trace, and a {@code RestClient} call from it is a CLIENT child that sends the
 * trace on. The build runs on Java 17, where this is skipped; the {@code virtual-threads} profile
 * (active where a JDK 25 is installed) runs it on it.
 */
@SpringBootTest(classes = VirtualThreadWebMvcTests.App.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=servlet", "spring.threads.virtual.enabled=true",
                "spring.application.name=virtual-mvc", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
@ExtendWith(OutputCaptureExtension.class)
class VirtualThreadWebMvcTests {

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @BeforeAll
    static void needsVirtualThreads() {
        assumeTrue(Runtime.version().feature() >= 21, "virtual threads need Java 21+");
    }

    @Test
    void aRequestOnAVirtualThreadIsTracedWithItsLogLinesAndCalls(CapturedOutput output) throws Exception {
        String traceId = "9bf92f3577b34da6a3ce929d0e0e4799";
        HttpResponse<String> response = TraceAssertions.get(port, "/orders/7", "traceparent",
                "00-" + traceId + "-00f067aa0ba902b7-01");
        assertThat(response.body()).isEqualTo("stock of 7");

        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, traceId, 3);
        FinishedSpan orders = only(spans,
                span -> span.getKind() == Span.Kind.SERVER && span.getName().equals("GET /orders/{id}"));
        FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        assertThat(orders.getParentId()).isEqualTo("00f067aa0ba902b7");
        assertThat(client.getParentId()).isEqualTo(orders.getSpanId());
        assertThat(App.seen).containsEntry("virtual", "true")
            .containsEntry("mdc", traceId)
            .containsEntry("traceparent", "00-" + traceId + "-" + client.getSpanId() + "-01");
        assertThat(output.getOut().lines().filter(line -> line.endsWith(": ordering 7")))
            .singleElement(as(InstanceOfAssertFactories.STRING))
            .contains("[" + traceId + "-" + orders.getSpanId() + "]");
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        static final Map<String, String> seen = new ConcurrentHashMap<>();

        @RestController
        static class Endpoints {

            private static final Logger logger = LoggerFactory.getLogger(Endpoints.class);

            private final RestClient.Builder builder;

            private final Environment environment;

            Endpoints(RestClient.Builder builder, Environment environment) {
                this.builder = builder;
                this.environment = environment;
            }

            @GetMapping("/orders/{id}")
            String order(@PathVariable String id) throws ReflectiveOperationException {
                // Thread.isVirtual() is Java 21 API; the build compiles for 17
                seen.put("virtual", String.valueOf(Thread.class.getMethod("isVirtual").invoke(Thread.currentThread())));
                seen.put("mdc", String.valueOf(MDC.get("traceId")));
                logger.info("ordering {}", id);
                // the port is known once the server has started
                return builder.baseUrl("http://127.0.0.1:" + environment.getProperty("local.server.port"))
                    .build()
                    .get()
                    .uri("/stock/{id}", id)
                    .retrieve()
                    .body(String.class);
            }

            @GetMapping("/stock/{id}")
            String stock(@PathVariable String id, @RequestHeader("traceparent") String traceparent) {
                seen.put("traceparent", traceparent);
                return "stock of " + id;
            }

        }

    }

}
