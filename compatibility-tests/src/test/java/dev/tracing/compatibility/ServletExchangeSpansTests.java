package dev.tracing.compatibility;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import dev.tracing.export.InMemorySpanStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Spring MVC side beside Spring's observations (servlet filter, RestTemplate, RestClient) on
 * Tomcat: one span per exchange, one traceparent per call, the {@code @Observed} method a child
 * of the SERVER span, and the HTTP metrics still recorded.
 */
@SpringBootTest(classes = ServletApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=servlet", "spring.application.name=compat-mvc",
                "trace.sampling.rate-limit=0", "trace.export.memory.max-traces-per-second=0",
                "management.observations.annotations.enabled=true" })
abstract class ServletExchangeSpansTests {

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Autowired
    MeterRegistry meters;

    @Test
    void oneSpanPerExchangeAndObservationsAsChildren() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
            .send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/front")).build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        String traceId = response.body();
        List<FinishedSpan> spans = Waits.awaitTrace(store, traceId, 7);

        assertThat(spans).filteredOn(s -> s.getKind() == Span.Kind.SERVER).hasSize(3);
        assertThat(spans).filteredOn(s -> s.getKind() == Span.Kind.CLIENT).hasSize(2);
        assertThat(spans).as("every span of the trace").hasSize(7);
        FinishedSpan front = spans.stream()
            .filter(s -> s.getKind() == Span.Kind.SERVER && s.getParentId() == null)
            .findFirst()
            .orElseThrow();
        assertThat(front.getName()).isEqualTo("GET /front");
        List<String> clientIds = spans.stream()
            .filter(s -> s.getKind() == Span.Kind.CLIENT)
            .peek(client -> assertThat(client.getParentId()).isEqualTo(front.getSpanId()))
            .map(FinishedSpan::getSpanId)
            .toList();
        assertThat(spans).filteredOn(s -> s.getName().equals("observed work") || s.getName().equals("annotated work"))
            .hasSize(2)
            .allSatisfy(s -> assertThat(s.getParentId()).isEqualTo(front.getSpanId()));

        List<List<String>> headers = ServletApp.backHeaders.get(traceId);
        assertThat(headers).hasSize(2).allSatisfy(set -> assertThat(set).hasSize(1));
        assertThat(headers.stream().map(set -> set.get(0)))
            .containsExactlyInAnyOrderElementsOf(
                    clientIds.stream().map(id -> "traceparent=00-" + traceId + "-" + id + "-01").toList());

        assertThat(meters.find("http.server.requests").tag("uri", "/front").timer())
            .satisfies(timer -> assertThat(timer.count()).isPositive());
        assertThat(meters.find("http.client.requests").timers()).isNotEmpty();
    }

}
