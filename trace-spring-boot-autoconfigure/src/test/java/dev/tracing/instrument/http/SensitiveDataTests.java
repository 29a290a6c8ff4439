package dev.tracing.instrument.http;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.export.OtlpProtoEncoder;
import dev.tracing.export.ZipkinV2JsonEncoder;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Mono;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.client.WebClient;

import static dev.tracing.testing.TraceAssertions.only;
import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Secrets sent every way a request can carry them (credential headers named in
 * {@code record-headers}, the query string, URL user-info on an outgoing call, baggage outside
 * {@code remote-fields}, a failure's stack) appear nowhere in what tracing keeps or sends: the
 * stored spans, their Zipkin JSON and OTLP encodings, the logging exporter's lines, and the
 * headers the downstream call carries.
 */
@SpringBootTest(classes = SensitiveDataTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0",
                "trace.web.server.record-headers=Authorization,proxy-authorization,COOKIE,Set-Cookie,X-Tenant",
                "trace.baggage.remote-fields=tenant", "trace.export.logging.enabled=true",
                "trace.export.batch.schedule-delay=50ms",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
@ExtendWith(OutputCaptureExtension.class)
class SensitiveDataTests {

    static final String TRACE_ID = "5af7651916cd43dd8448eb211c80319c";

    static final String TRACEPARENT = "00-" + TRACE_ID + "-b7ad6b7169203331-01";

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Test
    void secretsInHeadersQueryUserInfoAndBaggageAreRecordedNowhere(CapturedOutput output) throws Exception {
        HttpResponse<String> response = TraceAssertions.get(port, "/login?token=SECRET-query", "traceparent",
                TRACEPARENT, "Authorization", "Bearer SECRET-authorization", "Proxy-Authorization",
                "Basic SECRET-proxy", "Cookie", "session=SECRET-cookie", "X-Tenant", "acme", "baggage",
                "tenant=acme,password=SECRET-baggage");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Set-Cookie")).hasValue("session=SECRET-set-cookie");
        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, TRACE_ID, 3);
        FinishedSpan login = only(spans, span -> span.getKind() == Span.Kind.SERVER && span.getName().contains("login"));
        FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        // the policy records what it should: the allowed header, the path, the URL without user-info or query
        assertThat(login.getTags()).containsEntry("http.request.header.x-tenant", "acme")
            .containsEntry("url.path", "/login")
            .doesNotContainKeys("http.request.header.authorization", "http.request.header.proxy-authorization",
                    "http.request.header.cookie", "http.request.header.set-cookie", "url.query");
        assertThat(client.getTags()).containsEntry("url.full", "http://127.0.0.1:" + port + "/downstream");
        // only the remote field crossed to the downstream call
        assertThat(App.received.get("baggage")).containsExactly("tenant=acme");
        assertNoSecret(spans);
        awaitLogged(output, TRACE_ID, 3);
        assertThat(output.getOut()).doesNotContain("SECRET");
    }

    @Test
    void aFailureIsRecordedByTypeAndMessageWithoutItsStack(CapturedOutput output) throws Exception {
        String traceId = "6af7651916cd43dd8448eb211c80319c";
        HttpResponse<String> response = TraceAssertions.get(port, "/boom", "traceparent",
                "00-" + traceId + "-b7ad6b7169203331-01");

        assertThat(response.statusCode()).isEqualTo(500);
        FinishedSpan server = TraceAssertions.awaitTrace(store, traceId, 1).get(0);
        String json = ZipkinV2JsonEncoder.INSTANCE.encode(server);
        assertThat(json).contains("\"error\":\"it failed\"")
            .contains("\"exception.type\":\"java.lang.IllegalStateException\"")
            .doesNotContain("SensitiveDataTests")
            .doesNotContain("\\tat ");
        assertThat(server.getTags().values()).noneMatch(value -> value.contains("SensitiveDataTests"));
        awaitLogged(output, traceId, 1);
        assertThat(output.getOut().lines().filter(line -> line.contains(traceId)))
            .noneMatch(line -> line.contains("SensitiveDataTests$App"));
    }

    /** The logging exporter writes from its batching thread: waits until it has logged {@code count} spans of the trace. */
    static void awaitLogged(CapturedOutput output, String traceId, int count) {
        await().until(() -> output.getOut().lines().filter(line -> line.contains(traceId)).count() >= count);
    }

    static void assertNoSecret(List<FinishedSpan> spans) {
        for (FinishedSpan span : spans) {
            assertThat(span.getName()).doesNotContain("SECRET");
            span.getTags().forEach((key, value) -> assertThat(key + "=" + value).doesNotContain("SECRET"));
            span.getEvents().forEach(event -> assertThat(event.getValue()).doesNotContain("SECRET"));
            assertThat(ZipkinV2JsonEncoder.INSTANCE.encode(span)).doesNotContain("SECRET");
        }
        byte[] otlp = OtlpProtoEncoder.INSTANCE.encode(spans);
        assertThat(new String(otlp, StandardCharsets.ISO_8859_1)).doesNotContain("SECRET");
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        /** The headers the downstream endpoint received, by name. */
        static final Map<String, List<String>> received = new ConcurrentHashMap<>();

        @RestController
        static class Endpoints {

            private final WebClient.Builder builder;

            private final ApplicationContext context;

            Endpoints(WebClient.Builder builder, ApplicationContext context) {
                this.builder = builder;
                this.context = context;
            }

            @GetMapping("/login")
            Mono<ResponseEntity<String>> login() {
                int port = ((WebServerApplicationContext) context).getWebServer().getPort();
                return builder.build()
                    .get()
                    .uri("http://user:SECRET-userinfo@127.0.0.1:" + port + "/downstream?key=SECRET-client-query")
                    .retrieve()
                    .bodyToMono(String.class)
                    .map(body -> ResponseEntity.ok().header("Set-Cookie", "session=SECRET-set-cookie").body(body));
            }

            @GetMapping("/downstream")
            String downstream(ServerHttpRequest request) {
                received.putAll(request.getHeaders().asMultiValueMap());
                return "ok";
            }

            @GetMapping("/boom")
            String boom() {
                throw new IllegalStateException("it failed");
            }

        }

    }

}
