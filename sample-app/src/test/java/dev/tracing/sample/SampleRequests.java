package dev.tracing.sample;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.tracing.export.InMemorySpanStore;
import io.micrometer.tracing.exporter.FinishedSpan;

import org.springframework.core.ParameterizedTypeReference;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Requests to the sample app and waiting for the spans they make, shared by its tests. */
final class SampleRequests {

    private SampleRequests() {
    }

    /** GETs {@code uri}, expects 200 and returns the JSON object answered. */
    static Map<String, Object> getJson(WebTestClient client, String uri) {
        return client.get()
            .uri(uri)
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(new ParameterizedTypeReference<Map<String, Object>>() {
            })
            .returnResult()
            .getResponseBody();
    }

    /** Waits until the store holds {@code count} spans of the trace, and returns exactly those. */
    static List<FinishedSpan> awaitTrace(InMemorySpanStore store, String traceId, int count) {
        await().pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(10))
            .atMost(Duration.ofSeconds(30))
            .until(() -> store.trace(traceId).size() >= count);
        List<FinishedSpan> spans = store.trace(traceId);
        assertThat(spans).hasSize(count);
        return spans;
    }

}
