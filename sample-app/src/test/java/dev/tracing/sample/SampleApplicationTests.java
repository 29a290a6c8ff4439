package dev.tracing.sample;

import java.util.List;
import java.util.Map;

import dev.tracing.test.SpansAssert;
import dev.tracing.test.TestSpans;
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

import static dev.tracing.test.TraceAssertions.assertThat;
import static dev.tracing.test.TraceAssertions.assertThatSpan;
import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
@ExtendWith(OutputCaptureExtension.class)
class SampleApplicationTests {

    @Autowired
    WebTestClient client;

    @Autowired
    TestSpans spans;

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

        spans.awaitTrace(traceId, 1);
        FinishedSpan span = assertThat(spans).trace(traceId)
            .hasSize(1)
            .hasSpan(Span.Kind.SERVER, "GET /api/hello")
            .hasServiceName("sample-app")
            .isRoot()
            .span();
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
    void aCallersTenantGoesWithEveryCallOfTheChainAndTagsEverySpan() {
        Map<String, Object> body = SampleRequests.getJson(client, "/api/chain",
                headers -> headers.set("baggage", "tenant=acme"));
        String traceId = (String) body.get("traceId");
        // over WebClient, RestTemplate, Kafka and gRPC, and on the request's own spans
        assertThat(spans.awaitTrace(traceId, 9)).hasSize(9)
            .allSatisfy(span -> assertThat(span.getTags()).as(span.getName() + " " + span.getKind())
                .containsEntry("tenant", "acme"));
    }

    @Test
    void chainCallsTheDownstreamAndSendsAnEventInOneTrace(CapturedOutput output) throws Exception {
        Map<String, Object> body = SampleRequests.getJson(client, "/api/chain");
        String traceId = (String) body.get("traceId");
        // the request, 2 HTTP calls and their 2 downstream requests, the send and the listener, the gRPC call
        // and its server span
        List<FinishedSpan> all = spans.awaitTrace(traceId, 9);
        SpansAssert trace = assertThat(spans).trace(traceId).hasSize(9).hasNoErrors();
        FinishedSpan chain = trace.hasSpan(Span.Kind.SERVER, "GET /api/chain").isRoot().hasChildCount(4).span();
        trace.hasSpan(Span.Kind.CLIENT, "sample.Greeter/SayHello")
            .isChildOf(chain)
            .hasTag("rpc.system", "grpc")
            .hasChildNamed("sample.Greeter/SayHello")
            .hasKind(Span.Kind.SERVER)
            .hasTag("rpc.method", "SayHello")
            .hasTag("rpc.grpc.status_code", "0");
        assertThat(body).containsEntry("grpc", "Hello, chain!");
        assertThat(output.getOut().lines().filter(line -> line.contains("Greeting chain over gRPC")))
            .singleElement()
            .asString()
            .contains(traceId);
        // one WebClient call and one RestTemplate call (on boundedElastic), each answered by /api/hello
        List<FinishedSpan> hellos = spans
            .matching(span -> span.getKind() == Span.Kind.SERVER && "GET /api/hello".equals(span.getName()));
        assertThat(hellos).hasSize(2);
        for (FinishedSpan hello : hellos) {
            assertThatSpan(hello, all).parent().hasKind(Span.Kind.CLIENT).isChildOf(chain);
        }
        // WebClient was given a URI template, RestTemplate hands its own to no interceptor
        trace.hasSpan(Span.Kind.CLIENT, "GET /api/hello").hasTag("url.template", "/api/hello");
        trace.hasSpan(Span.Kind.CLIENT, "GET").doesNotHaveTag("url.template");
        assertThat(body).containsKeys("webClient", "restTemplate");
        trace.hasSpan(Span.Kind.CONSUMER, "process sample-events")
            .parent()
            .hasName("send sample-events")
            .hasKind(Span.Kind.PRODUCER)
            .isChildOf(chain);
        FinishedSpan receive = spans.span("process sample-events");
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
