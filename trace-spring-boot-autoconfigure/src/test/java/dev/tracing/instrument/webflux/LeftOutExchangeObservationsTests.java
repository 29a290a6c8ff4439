package dev.tracing.instrument.webflux;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.ReactorPropagationState;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationFilter;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

import static dev.tracing.testing.TraceAssertions.only;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * With Spring Boot's Observation module but no metrics, Spring's Observations of the requests our
 * instrumentation traces are left out (nothing would use them), except a WebClient's, while the
 * trace stays whole: an Observation inside the request is still a child of our SERVER span and the
 * parent of a WebClient call made inside it, and a WebClient built by hand with the registry (which
 * only its Observation traces) keeps its CLIENT span.
 */
@SpringBootTest(classes = WebFluxTracingApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "spring.application.name=webflux-no-metrics",
                "trace.sampling.rate-limit=0", "trace.export.memory.max-traces-per-second=0",
                "spring.autoconfigure.exclude="
                        + "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration,"
                        + "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration,"
                        + "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration" })
@Import(LeftOutExchangeObservationsTests.StoppedObservations.class)
@ExtendWith(ReactorPropagationState.RestoredAfterAll.class)
class LeftOutExchangeObservationsTests {

    /** The names of the Observations that ran to their end, as an application's ObservationFilter sees them. */
    static final Queue<String> stopped = new ConcurrentLinkedQueue<>();

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Autowired
    ObjectProvider<MeterRegistry> meters;

    @BeforeEach
    void noMetrics() {
        assertThat(meters.getIfAvailable()).as("no MeterRegistry, so no metrics handler").isNull();
        stopped.clear();
    }

    @Test
    void theRequestsObservationsAreLeftOutAndAnObservedSectionIsStillAChildOfOurServerSpan() throws Exception {
        HttpResponse<String> response = TraceAssertions.get(port, "/observed/left-out-1");
        assertThat(response.statusCode()).isEqualTo(200);
        String traceId = WebFluxTracingApp.downstreamTraceparents.get("left-out-1").get(0).substring(3, 35);
        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, traceId, 4);
        FinishedSpan server = only(spans, span -> "GET /observed/{marker}".equals(span.getName()));
        FinishedSpan section = only(spans, span -> "observed.section".equals(span.getName()));
        FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        FinishedSpan downstream = only(spans,
                span -> span.getKind() == Span.Kind.SERVER && "GET /downstream/{marker}".equals(span.getName()));
        assertThat(section.getParentId()).isEqualTo(server.getSpanId());
        assertThat(client.getParentId()).isEqualTo(section.getSpanId());
        assertThat(downstream.getParentId()).isEqualTo(client.getSpanId());
        // Spring stops its server Observation before the response completes, so by now it would be here
        // a WebClient's Observation stays: through it our filter finds the section's span
        assertThat(stopped).contains("observed.section", "http.client.requests").doesNotContain("http.server.requests");
    }

    @Test
    void aWebClientBuiltByHandWithTheRegistryKeepsItsObservationAndItsClientSpan() throws Exception {
        HttpResponse<String> response = TraceAssertions.get(port, "/hand-built/left-out-2");
        assertThat(response.statusCode()).isEqualTo(200);
        String traceId = WebFluxTracingApp.downstreamTraceparents.get("left-out-2").get(0).substring(3, 35);
        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, traceId, 3);
        FinishedSpan server = only(spans, span -> "GET /hand-built/{marker}".equals(span.getName()));
        FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        assertThat(client.getParentId()).isEqualTo(server.getSpanId());
        assertThat(stopped).contains("http.client.requests").doesNotContain("http.server.requests");
    }

    static class StoppedObservations {

        @Bean
        ObservationFilter recordStoppedObservations() {
            return context -> {
                stopped.add(context.getName());
                return context;
            };
        }

    }

}
