package dev.tracing.sample;

import java.util.List;
import java.util.Map;

import dev.tracing.export.InMemorySpanStore;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
@ExtendWith(OutputCaptureExtension.class)
class SampleApplicationTests {

    @Autowired
    WebTestClient client;

    @Autowired
    InMemorySpanStore store;

    @Test
    void helloAnswersAGreetingAndRecordsASpanWhoseIdIsInTheLog(CapturedOutput output) {
        Map<String, String> body = client.get()
            .uri("/api/hello?name=tracing")
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(new ParameterizedTypeReference<Map<String, String>>() {
            })
            .returnResult()
            .getResponseBody();
        assertThat(body).containsEntry("message", "Hello, tracing!");
        String traceId = body.get("traceId");
        assertThat(traceId).matches("[0-9a-f]{32}");

        List<FinishedSpan> spans = store.trace(traceId);
        assertThat(spans).singleElement().satisfies(span -> {
            assertThat(span.getName()).isEqualTo("hello");
            assertThat(span.getLocalServiceName()).isEqualTo("sample-app");
            assertThat(span.getTags()).containsEntry("greeting.name", "tracing");
        });
        assertThat(output.getOut().lines().filter(line -> line.contains("Saying hello to tracing")))
            .singleElement()
            .asString()
            .contains(traceId);

        client.get()
            .uri("/actuator/traces?limit=1")
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody()
            .jsonPath("$[0].traceId")
            .isEqualTo(traceId)
            .jsonPath("$[0].name")
            .isEqualTo("hello")
            .jsonPath("$[0].serviceName")
            .isEqualTo("sample-app");
        client.get()
            .uri("/actuator/traces/" + traceId)
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody()
            .jsonPath("$[0].localEndpoint.serviceName")
            .isEqualTo("sample-app");
    }

}
