package dev.tracing.sample;

import java.util.List;
import java.util.Map;

import dev.tracing.export.InMemorySpanStore;
import io.micrometer.tracing.Span;
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

    List<FinishedSpan> awaitTrace(String traceId, int count) {
        return SampleRequests.awaitTrace(store, traceId, count);
    }

    @Test
    void helloAnswersAGreetingAsOneServerSpanWhoseIdIsInTheLog(CapturedOutput output) throws Exception {
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

        FinishedSpan span = awaitTrace(traceId, 1).get(0);
        assertThat(span.getName()).isEqualTo("GET /api/hello");
        assertThat(span.getKind()).isEqualTo(Span.Kind.SERVER);
        assertThat(span.getLocalServiceName()).isEqualTo("sample-app");
        assertThat(output.getOut().lines().filter(line -> line.contains("Saying hello to tracing")))
            .singleElement()
            .asString()
            .contains(traceId)
            .contains(span.getSpanId());

        client.get()
            .uri("/actuator/traces?limit=1")
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody()
            .jsonPath("$[0].traceId")
            .isEqualTo(traceId)
            .jsonPath("$[0].name")
            .isEqualTo("GET /api/hello")
            .jsonPath("$[0].serviceName")
            .isEqualTo("sample-app");
    }

    @Test
    void chainCallsTheDownstreamAndSendsAnEventInOneTrace(CapturedOutput output) throws Exception {
        Map<String, Object> body = SampleRequests.getJson(client, "/api/chain");
        String traceId = (String) body.get("traceId");
        // the request, 2 calls, 2 downstream requests, the send and the listener
        List<FinishedSpan> spans = awaitTrace(traceId, 7);
        FinishedSpan chain = spans.stream().filter(s -> "GET /api/chain".equals(s.getName())).findFirst().orElseThrow();
        List<FinishedSpan> calls = spans.stream().filter(s -> s.getKind() == Span.Kind.CLIENT).toList();
        List<FinishedSpan> hellos = spans.stream().filter(s -> "GET /api/hello".equals(s.getName())).toList();
        assertThat(chain.getParentId()).isNull();
        // one WebClient call and one RestTemplate call (on boundedElastic), both children of the request
        assertThat(calls).hasSize(2).allSatisfy(call -> assertThat(call.getParentId()).isEqualTo(chain.getSpanId()));
        assertThat(hellos).hasSize(2);
        assertThat(hellos).extracting(FinishedSpan::getParentId)
            .containsExactlyInAnyOrderElementsOf(calls.stream().map(FinishedSpan::getSpanId).toList());
        assertThat(body).containsKeys("webClient", "restTemplate");
        FinishedSpan send = spans.stream().filter(s -> s.getKind() == Span.Kind.PRODUCER).findFirst().orElseThrow();
        FinishedSpan receive = spans.stream().filter(s -> s.getKind() == Span.Kind.CONSUMER).findFirst().orElseThrow();
        assertThat(send.getName()).isEqualTo("send sample-events");
        assertThat(send.getParentId()).isEqualTo(chain.getSpanId());
        assertThat(receive.getName()).isEqualTo("process sample-events");
        assertThat(receive.getParentId()).isEqualTo(send.getSpanId());
        assertThat(output.getOut().lines().filter(line -> line.contains("Received event: chain called")))
            .singleElement()
            .asString()
            .contains(traceId)
            .contains(receive.getSpanId());
        assertThat(output.getOut().lines().filter(line -> line.contains("Downstream answered Hello, chain!")))
            .singleElement()
            .asString()
            .contains(traceId)
            .contains(chain.getSpanId());
    }

}
