package dev.tracing.export;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.tracing.instrument.webflux.WebFluxTracingApp;
import dev.tracing.testing.ZipkinServer;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static dev.tracing.testing.TraceAssertions.awaitTrace;
import static dev.tracing.testing.TraceAssertions.get;
import static dev.tracing.testing.TraceAssertions.only;
import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The application exports to a real Zipkin server, and Zipkin's {@code GET /api/v2/trace/{id}}
 * returns every field as it was recorded.
 */
@SpringBootTest(classes = WebFluxTracingApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "spring.application.name=zipkin-export-test",
                "trace.export.batch.schedule-delay=50ms",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class ZipkinExportTests {

    static ZipkinServer zipkin;

    @DynamicPropertySource
    static void zipkinEndpoint(DynamicPropertyRegistry registry) throws Exception {
        zipkin = ZipkinServer.shared();
        registry.add("trace.export.zipkin.endpoint", () -> zipkin.baseUrl() + "/api/v2/spans");
    }

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Autowired
    BatchingSpanReporter reporter;

    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void everyRecordedFieldReachesZipkin() throws Exception {
        String traceId = "5af7183fb1d4cf5f3a7bdf3e1b4f6e21";
        assertThat(get(port, "/chain/zipkin", "traceparent", "00-" + traceId + "-b7ad6b7169203331-01").statusCode())
            .isEqualTo(200);
        assertThat(get(port, "/fail", "traceparent", "00-" + traceId + "-b7ad6b7169203331-01").statusCode())
            .isEqualTo(500);
        // GET /chain/{marker} (SERVER) -> CLIENT -> GET /downstream/{marker} (SERVER), then GET /fail
        List<FinishedSpan> recorded = awaitTrace(store, traceId, 4);

        JsonNode stored = json.readTree(zipkin.awaitTrace(traceId, 4));
        JsonNode expected = json.readTree(ZipkinV2JsonEncoder.INSTANCE.encodeList(recorded));
        // Zipkin stores span names lower-cased
        expected.forEach(span -> ((tools.jackson.databind.node.ObjectNode) span).put("name",
                span.get("name").asString().toLowerCase(java.util.Locale.ROOT)));
        assertThat(asSet(stored)).as("what Zipkin returns is what was recorded").isEqualTo(asSet(expected));

        FinishedSpan client = only(recorded, s -> s.getKind() == Span.Kind.CLIENT);
        JsonNode clientJson = find(stored, client.getSpanId());
        assertThat(clientJson.get("traceId").asString()).isEqualTo(traceId);
        assertThat(clientJson.get("parentId").asString()).isEqualTo(client.getParentId());
        assertThat(clientJson.get("kind").asString()).isEqualTo("CLIENT");
        assertThat(clientJson.get("name").asString()).isEqualTo(client.getName().toLowerCase());
        assertThat(clientJson.get("timestamp").asLong()).isEqualTo(ZipkinV2JsonEncoder.startMicros(client));
        assertThat(clientJson.get("duration").asLong())
            .isEqualTo(ZipkinV2JsonEncoder.endMicros(client) - ZipkinV2JsonEncoder.startMicros(client));
        assertThat(clientJson.get("localEndpoint").get("serviceName").asString()).isEqualTo("zipkin-export-test");
        assertThat(clientJson.get("tags").get("http.request.method").asString()).isEqualTo("GET");
        FinishedSpan failed = only(recorded, s -> s.getName().equals("GET /fail"));
        assertThat(find(stored, failed.getSpanId()).get("tags").get("error").asString()).isNotBlank();
        // counted once the exporter has read Zipkin's answer, which may come after Zipkin shows the spans
        await("4 spans counted as exported").until(() -> reporter.exportedCount("zipkin") >= 4);
    }

    private static JsonNode find(JsonNode spans, String spanId) {
        for (JsonNode span : spans) {
            if (span.get("id").asString().equals(spanId)) {
                return span;
            }
        }
        throw new AssertionError("no span " + spanId + " in " + spans);
    }

    /** Zipkin may return spans in another order. */
    private static Set<JsonNode> asSet(JsonNode array) {
        Set<JsonNode> spans = new HashSet<>();
        array.forEach(spans::add);
        return spans;
    }

}
