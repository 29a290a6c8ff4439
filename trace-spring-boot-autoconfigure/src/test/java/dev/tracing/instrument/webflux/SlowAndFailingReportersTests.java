package dev.tracing.instrument.webflux;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.tracing.actuate.SpanExportMetrics;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.exporter.SpanReporter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;

import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The application's own {@link SpanReporter}s, one that blocks until the test lets it go and one
 * that throws on every span, behind the real WebFlux server: requests are answered and fully
 * traced while the first is stuck; what does not fit its queue is dropped and counted, and the
 * second's failures are counted without touching anything else.
 */
@SpringBootTest(classes = { WebFluxTracingApp.class, SlowAndFailingReportersTests.Reporters.class },
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0",
                "trace.web.server.response-header=traceresponse", "trace.export.batch.max-queue-size=16", "trace.export.batch.max-batch-size=16",
                "trace.export.batch.timeout=2s",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class SlowAndFailingReportersTests {

    static final int REQUESTS = 20;

    /** Each /chain request ends three spans: its SERVER span, the WebClient span, the downstream SERVER span. */
    static final int SPANS = REQUESTS * 3;

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Autowired
    Reporters reporters;

    @Autowired
    SpanExportMetrics metrics;

    @AfterEach
    void release() {
        reporters.release.countDown();
    }

    @Test
    void requestsAreAnsweredAndTracedWhileOneReporterIsStuckAndAnotherThrows() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        metrics.bindTo(registry);

        String first = traceId(TraceAssertions.get(port, "/chain/r0"));
        assertThat(reporters.entered.await(10, TimeUnit.SECONDS)).as("the stuck reporter got a span").isTrue();
        for (int i = 1; i < REQUESTS; i++) {
            HttpResponse<String> response = TraceAssertions.get(port, "/chain/r" + i);
            assertThat(response.statusCode()).isEqualTo(200);
            String traceId = traceId(response);
            assertThat(response.body()).contains(traceId);
            // the whole trace reached the in-memory store, parents intact, with the reporter still stuck
            List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, traceId, 3);
            FinishedSpan server = TraceAssertions.only(spans, span -> span.getName().startsWith("GET /chain"));
            assertThat(server.getParentId()).isNullOrEmpty();
            FinishedSpan client = TraceAssertions.only(spans, span -> "CLIENT".equals(span.getKind().name()));
            assertThat(client.getParentId()).isEqualTo(server.getSpanId());
        }
        TraceAssertions.awaitTrace(store, first, 3);
        assertThat(reporters.stuck).as("the stuck reporter is still on its first span").hasSize(1);

        // the stuck reporter holds one span and its queue 16; the rest were dropped and counted
        assertThat(count(registry, "trace.export.spans.dropped", "stuckReporter", "queue_full"))
            .isEqualTo(SPANS - 1 - 16);
        // the throwing reporter saw every span that fit its queue, and each failure is counted
        await().atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(count(registry, "trace.export.spans.dropped", "throwingReporter",
                    "export_failed") + count(registry, "trace.export.spans.dropped", "throwingReporter", "queue_full"))
                .isEqualTo(SPANS));
        assertThat(count(registry, "trace.export.spans.dropped", "throwingReporter", "export_failed")).isPositive();
        assertThat(reporters.throwingThreads).containsExactly("trace-span-reporter-throwingReporter");

        reporters.release.countDown();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(reporters.stuck).hasSize(1 + 16));
        assertThat(reporters.stuck.get(0).getTraceId()).isEqualTo(first);
        assertThat(count(registry, "trace.export.spans.exported", "stuckReporter", null)).isEqualTo(17);
    }

    private static String traceId(HttpResponse<String> response) {
        return response.headers().firstValue("traceresponse").orElseThrow().substring(3, 35);
    }

    private static double count(SimpleMeterRegistry registry, String name, String exporter, String reason) {
        var search = registry.get(name).tag("exporter", exporter);
        return (reason != null ? search.tag("reason", reason) : search).functionCounter().count();
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class Reporters {

        final CountDownLatch entered = new CountDownLatch(1);

        final CountDownLatch release = new CountDownLatch(1);

        final List<FinishedSpan> stuck = new CopyOnWriteArrayList<>();

        final Set<String> throwingThreads = ConcurrentHashMap.newKeySet();

        @Bean
        SpanReporter stuckReporter() {
            return span -> {
                stuck.add(span);
                entered.countDown();
                try {
                    release.await();
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            };
        }

        @Bean
        SpanReporter throwingReporter() {
            return span -> {
                throwingThreads.add(Thread.currentThread().getName());
                throw new IllegalStateException("reporter failed on " + span.getName());
            };
        }

    }

}
