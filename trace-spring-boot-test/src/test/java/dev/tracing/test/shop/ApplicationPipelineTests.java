package dev.tracing.test.shop;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;

import dev.tracing.test.TestSpans;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.exporter.SpanFilter;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;

import static dev.tracing.test.TraceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a test collects went through the application's own pipeline: its sampler (here 0%, so
 * only a request that arrives sampled is traced), its propagation (the caller's trace id is
 * kept) and its span filters (here one that drops the path, as a privacy rule would).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "trace.sampling.probability=0",
                "spring.kafka.listener.auto-startup=false" })
class ApplicationPipelineTests {

    static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    @TestConfiguration
    static class PrivacyRule {

        @Bean
        SpanFilter dropThePath() {
            return span -> {
                Map<String, String> tags = new HashMap<>(span.getTags());
                tags.remove("url.path");
                return span.setTags(tags);
            };
        }

    }

    @LocalServerPort
    int port;

    @Autowired
    TestSpans spans;

    @Test
    void onlyTheSampledRequestIsCollectedWithTheCallersTraceIdAndWithoutThePath() throws Exception {
        assertThat(get(null)).isEqualTo(200);
        assertThat(get("00-" + TRACE_ID + "-00f067aa0ba902b7-01")).isEqualTo(200);

        FinishedSpan server = spans.awaitSpan("GET /hello");
        assertThat(server.getTraceId()).isEqualTo(TRACE_ID);
        assertThat(spans).hasSize(1)
            .hasSpan(Span.Kind.SERVER, "GET /hello")
            .hasTag("greeting", "hello")
            .doesNotHaveTag("url.path");
    }

    private int get(String traceparent) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hello"));
        if (traceparent != null) {
            request.header("traceparent", traceparent);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

}
