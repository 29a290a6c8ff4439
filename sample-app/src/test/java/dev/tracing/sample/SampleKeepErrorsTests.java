package dev.tracing.sample;

import java.util.Map;

import dev.tracing.test.TestSpans;
import io.micrometer.tracing.Span;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.test.web.reactive.server.WebTestClient;

import static dev.tracing.test.TraceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample at a probability of 0.0 with its {@code keep.errors}: {@code /api/fail} is kept with
 * its CLIENT call, {@code /api/hello} is not recorded.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "trace.sampling.probability=0.0")
@AutoConfigureWebTestClient
class SampleKeepErrorsTests {

    @Autowired
    WebTestClient client;

    @Autowired
    TestSpans spans;

    @Test
    void aFailedRequestIsKeptAtZeroPercentAndASuccessIsNot() {
        SampleRequests.getJson(client, "/api/hello");
        Map<String, String> failed = client.get()
            .uri("/api/fail")
            .exchange()
            .expectStatus()
            .isEqualTo(500)
            .expectBody(new ParameterizedTypeReference<Map<String, String>>() {
            })
            .returnResult()
            .getResponseBody();
        String traceId = failed.get("traceId");

        spans.awaitTrace(traceId, 2);
        // the downstream /api/hello of this trace succeeded: its local trace was dropped
        assertThat(spans).hasSingleTrace()
            .hasSize(2)
            .hasSpan(Span.Kind.SERVER, "GET /api/fail")
            .isRoot()
            .hasTag("sampling.kept", "error")
            .hasTag("error", "500")
            .hasChildNamed("GET /api/hello")
            .hasKind(Span.Kind.CLIENT);
    }

}
