package dev.tracing.actuate;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.Set;

import dev.tracing.testing.ZipkinServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@code GET /actuator/traces/{traceId}} answers is accepted by a real Zipkin server and
 * read back unchanged.
 */
@SpringBootTest(classes = TracesEndpointHttpTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "spring.application.name=endpoint-test",
                "trace.sampling.rate-limit=0", "trace.export.memory.max-traces-per-second=0",
                "management.endpoints.web.exposure.include=traces,traceview",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class TracesEndpointZipkinCompatibilityTests extends TracesEndpointHttpTests {

    static ZipkinServer zipkin;

    @BeforeAll
    static void startZipkin() throws Exception {
        zipkin = ZipkinServer.shared();
    }

    @Test
    void zipkinAcceptsTheTraceAndReturnsItUnchanged() throws Exception {
        for (String traceId : new String[] { nested, failed }) {
            HttpResponse<String> ours = get("/actuator/traces/" + traceId);
            assertThat(ours.statusCode()).isEqualTo(200);
            assertThat(zipkin.postSpans(ours.body())).isEqualTo(202);

            String stored = zipkin.awaitTrace(traceId, 1);
            assertThat(asSet(json.readTree(stored))).as("trace %s read back from Zipkin", traceId)
                .isEqualTo(asSet(json.readTree(ours.body())));
        }
    }

    /** Zipkin may return spans in another order; their content must be identical. */
    private static Set<JsonNode> asSet(JsonNode array) {
        Set<JsonNode> spans = new HashSet<>();
        array.forEach(spans::add);
        return spans;
    }

}
