package dev.tracing.export;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import org.junit.jupiter.api.Test;
import zipkin2.reporter.Encoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link HttpSpanSender} against a real HTTP backend on loopback. */
class HttpSpanSenderTests {

    private static final byte[] MESSAGE = ExportTraceServiceRequest.getDefaultInstance().toByteArray();

    @Test
    void postsTheMessageWithItsMediaTypeAndTheConfiguredHeaders() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(backend.url("/v1/traces"), Encoding.PROTO3,
                        Map.of("Authorization", "Bearer s3cr3t"), Duration.ofSeconds(5))) {
            byte[] message = "otlp-bytes".getBytes();
            sender.send(List.of(message));
            assertThat(backend.requests()).singleElement().satisfies(request -> {
                assertThat(request.path()).isEqualTo("/v1/traces");
                assertThat(request.contentType()).isEqualTo("application/x-protobuf");
                assertThat(request.authorization()).isEqualTo("Bearer s3cr3t");
                assertThat(request.body()).isEqualTo(message);
            });
        }
    }

    @Test
    void aRefusedRequestFailsTheSendWithoutShowingTheHeaders() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(backend.url("/v1/traces"), Encoding.PROTO3,
                        Map.of("Authorization", "Bearer s3cr3t"), Duration.ofSeconds(5))) {
            backend.mode(HttpBackend.Mode.FAIL);
            assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOf(IOException.class)
                .hasMessageContaining("HTTP 500")
                .hasMessageNotContaining("s3cr3t");
            assertThat(sender.toString()).contains("Authorization").doesNotContain("s3cr3t");
            // the next batch goes through once the backend accepts again
            backend.mode(HttpBackend.Mode.ACCEPT);
            sender.send(List.of(MESSAGE));
            assertThat(backend.requests()).hasSize(1);
        }
    }

    @Test
    void aRefusedRequestNamesTheEndpointWithoutItsUserInfoOrQuery() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(
                        backend.url("/v1/traces").replace("http://", "http://ops:s3cr3t@") + "?api-key=s3cr3t",
                        Encoding.PROTO3, Map.of(), Duration.ofSeconds(5))) {
            backend.mode(HttpBackend.Mode.FAIL);
            assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOf(IOException.class)
                .hasMessage("HTTP 500 from " + backend.url("/v1/traces"));
        }
    }

    @Test
    void aBackendThatNeverAnswersFailsTheSendAfterTheTimeout() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(backend.url("/v1/traces"), Encoding.PROTO3, Map.of(),
                        Duration.ofMillis(300))) {
            backend.mode(HttpBackend.Mode.HANG);
            assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOf(IOException.class);
        }
    }

    @Test
    void headersThatCannotBeSentAreRefusedNamingTheHeaderNotItsValue() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> HttpSpanSender.create("http://127.0.0.1:9/v1/traces", Encoding.PROTO3,
                    Map.of("x-api-key", "s3cr3t\r\nHost: evil"), Duration.ofSeconds(1)))
            .withMessageContaining("x-api-key")
            .withMessageNotContaining("s3cr3t");
        assertThatIllegalArgumentException().isThrownBy(() -> HttpSpanSender.create("http://127.0.0.1:9/v1/traces",
                Encoding.PROTO3, Map.of("bad name", "v"), Duration.ofSeconds(1)))
            .withMessageContaining("bad name");
        assertThat(HttpSpanSender.checkHeaders(Map.of("x-honeycomb-team", "key"))).containsEntry("x-honeycomb-team",
                "key");
        assertThatIllegalArgumentException().isThrownBy(
                () -> HttpSpanSender.create("ftp://host/x", Encoding.PROTO3, Map.of(), Duration.ofSeconds(1)));
    }

    @Test
    void endpointsNeedASchemeAHostAndThePathSpansArePostedTo() {
        assertThat(HttpSpanSender.checkEndpoint(" http://otel_collector:4318/v1/traces ", null))
            .isEqualTo("http://otel_collector:4318/v1/traces");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> HttpSpanSender.checkEndpoint("http://collector:4318", "http://localhost:4318/v1/traces"))
            .withMessage("must be the URL that spans are posted to, with its path, e.g. http://localhost:4318/v1/traces");
        assertThatIllegalArgumentException().isThrownBy(() -> HttpSpanSender.checkEndpoint("http//no-scheme", null))
            .withMessageContaining("http or https URL");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> HttpSpanSender.checkEndpoint("http://user:s3cr3t@host/a b", null))
            .withMessageNotContaining("s3cr3t");
    }

}
