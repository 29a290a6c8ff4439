package dev.tracing.instrument.web;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.Callable;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.WebAsyncTask;

import static dev.tracing.testing.TraceAssertions.awaitTrace;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An application that declares an executor bean of its own (for {@code @Async}, say): Spring Boot
 * then makes no task executor, and Spring MVC runs a handler's {@code Callable} on a private
 * executor no bean post-processor sees. The {@code Callable} still runs in the request's span.
 */
@SpringBootTest(classes = OwnExecutorWebMvcTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=servlet", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class OwnExecutorWebMvcTests {

    private static final String TRACE_ID = "5af7651916cd43dd8448eb211c80319c";

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Test
    void aCallableAndAWebAsyncTaskRunInTheRequestsSpan() throws Exception {
        for (String path : List.of("/callable", "/web-async-task")) {
            String traceId = TRACE_ID.substring(0, 31) + (path.length() % 10);
            HttpResponse<String> response = TraceAssertions.get(port, path, "traceparent",
                    "00-" + traceId + "-b7ad6b7169203331-01");
            assertThat(response.statusCode()).isEqualTo(200);
            FinishedSpan server = awaitTrace(store, traceId, 1).get(0);
            assertThat(server.getKind()).isEqualTo(Span.Kind.SERVER);
            // what the Callable saw: the current span's ids and the MDC's, on a thread of Spring MVC's own
            assertThat(response.body()).as(path).isEqualTo(traceId + "/" + server.getSpanId() + "/" + traceId);
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        /** The application's own executor: Boot's applicationTaskExecutor backs off for it. */
        @Bean
        ThreadPoolTaskExecutor ownPool() {
            ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
            executor.setThreadNamePrefix("own-");
            return executor;
        }

        @RestController
        static class Endpoints {

            private final Tracer tracer;

            Endpoints(Tracer tracer) {
                this.tracer = tracer;
            }

            @GetMapping("/callable")
            Callable<String> callable() {
                return this::seen;
            }

            @GetMapping("/web-async-task")
            WebAsyncTask<String> webAsyncTask() {
                return new WebAsyncTask<>(this::seen);
            }

            private String seen() {
                Span span = tracer.currentSpan();
                return span == null ? "none" : span.context().traceId() + "/" + span.context().spanId() + "/"
                        + MDC.get("traceId");
            }

        }

    }

}
