package dev.tracing.instrument.webflux;

import java.time.Duration;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A service at the edge ({@code trace.sampling.respect-incoming=false}): a caller's
 * {@code traceparent ...-01} continues its trace id but does not make the service record, and the
 * rate limit bounds what any number of such callers get recorded.
 */
@SpringBootTest(classes = WebFluxTracingApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "trace.sampling.probability=1.0",
                "trace.sampling.rate-limit=2", "trace.sampling.respect-incoming=false",
                "trace.export.memory.max-traces-per-second=0",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class EdgeSamplingTests {

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Test
    void callersSayingSampledCannotMakeTheEdgeRecordPastItsRateLimit() throws Exception {
        int recordedBefore = store.traceCount();
        for (int i = 0; i < 40; i++) {
            String traceId = String.format("%032x", 0x4bf92f3577b34da6L + i);
            assertThat(TraceAssertions.get(port, "/chain/edge-" + i, "traceparent", "00-" + traceId
                    + "-00f067aa0ba902b7-01").statusCode()).isEqualTo(200);
            // the caller's trace id is continued either way
            assertThat(WebFluxTracingApp.downstreamTraceparents.get("edge-" + i)).singleElement()
                .satisfies(traceparent -> assertThat(traceparent).startsWith("00-" + traceId + "-"));
        }
        // 40 requests that said "sampled" within a few seconds: at most the rate limit's share was recorded
        await().pollDelay(Duration.ofMillis(200)).until(() -> store.traceCount() - recordedBefore > 0);
        assertThat(store.traceCount() - recordedBefore).isLessThan(20);
    }

}
