package dev.tracing.export;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.tracing.core.SpanLimits;
import dev.tracing.core.Tracing;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ZipkinV2JsonEncoderTests {

    private final List<FinishedSpan> spans = new ArrayList<>();

    private final Tracer tracer = Tracing.newBuilder().serviceName("orders").reporter(spans::add).build();

    private final ZipkinV2JsonEncoder encoder = ZipkinV2JsonEncoder.INSTANCE;

    @Test
    void aDebugTraceIsMarkedSoACollectorKeepsItWhateverItSamples() {
        dev.tracing.core.SpanContext debug = dev.tracing.core.SpanContext.remote(0L, 0x463ac35c9f6413adL, 0L,
                0xa2fb4a1d1a96d312L, null, true);
        tracer.spanBuilder().setParent(debug).name("forced").start().end();
        tracer.nextSpan().name("plain").start().end();
        assertThat(encoder.encode(spans.get(0))).contains("\"debug\":true");
        assertThat(encoder.encode(spans.get(1))).doesNotContain("debug");
    }

    @Test
    void writesEveryZipkinField() {
        Span parent = tracer.nextSpan().name("parent").start();
        Span span = tracer.spanBuilder().setParent(parent.context()).name("get /users/{id}").kind(Span.Kind.CLIENT)
            .remoteServiceName("users").remoteIpAndPort("10.1.2.3", 8080).startTimestamp(1_700_000_000_000_000L,
                    TimeUnit.MICROSECONDS).start();
        span.tag("http.request.method", "GET");
        span.event("wire-send", 1_700_000_000_000_500L, TimeUnit.MICROSECONDS);
        span.end(1_700_000_000_002_000L, TimeUnit.MICROSECONDS);

        String json = encoder.encode(spans.get(0));

        assertThat(json).isEqualTo("{\"traceId\":\"" + span.context().traceId() + "\",\"parentId\":\""
                + parent.context().spanId() + "\",\"id\":\"" + span.context().spanId()
                + "\",\"kind\":\"CLIENT\",\"name\":\"get /users/{id}\",\"timestamp\":1700000000000000,\"duration\":2000,"
                + "\"localEndpoint\":{\"serviceName\":\"orders\"},"
                + "\"remoteEndpoint\":{\"serviceName\":\"users\",\"ipv4\":\"10.1.2.3\",\"port\":8080},"
                + "\"annotations\":[{\"timestamp\":1700000000000500,\"value\":\"wire-send\"}],"
                + "\"tags\":{\"http.request.method\":\"GET\"}}");
    }

    @Test
    void rootHasNoParentIdAndNoKindWhenLocal() {
        tracer.nextSpan().name("local").start().end();
        String json = encoder.encode(spans.get(0));
        assertThat(json).doesNotContain("parentId").doesNotContain("kind").doesNotContain("remoteEndpoint");
    }

    @Test
    void errorBecomesTheErrorTagUnlessOneIsSet() {
        tracer.nextSpan().name("a").start().error(new IllegalStateException("boom")).end();
        tracer.nextSpan().name("b").start().error(new IllegalStateException()).end();
        tracer.nextSpan().name("c").start().tag("error", "custom").error(new IllegalStateException("boom")).end();
        assertThat(encoder.encode(spans.get(0)))
            .contains("\"tags\":{\"error\":\"boom\",\"exception.type\":\"java.lang.IllegalStateException\"}");
        assertThat(encoder.encode(spans.get(1)))
            .contains("\"tags\":{\"error\":\"IllegalStateException\",\"exception.type\":\"java.lang.IllegalStateException\"}");
        assertThat(encoder.encode(spans.get(2)))
            .contains("\"tags\":{\"error\":\"custom\",\"exception.type\":\"java.lang.IllegalStateException\"}");
        // type and message only: no frame of the stack trace
        assertThat(encoder.encode(spans.get(0))).doesNotContain("ZipkinV2JsonEncoderTests").doesNotContain("\\tat ");
    }

    @Test
    void anErrorsMessageIsCutAsATagValueIs() {
        // a message that carries a whole payload: one span of megabytes would fail its batch
        String payload = "x".repeat(6 << 20);
        tracer.nextSpan().name("a").start().error(new IllegalStateException("bad payload: " + payload)).end();
        String json = encoder.encode(spans.get(0));
        assertThat(json).contains("\"error\":\"bad payload: xxx")
            .hasSizeLessThan(SpanLimits.DEFAULT_MAX_TAG_VALUE_LENGTH + 1000);
    }

    @Test
    void escapesASurrogateWithoutItsPartnerAndKeepsAPair() {
        String grinning = new String(Character.toChars(0x1F600));
        tracer.nextSpan().name("lone " + (char) 0xD800 + " high, lone " + (char) 0xDC00 + " low, pair " + grinning)
            .start()
            .end();
        String json = encoder.encode(spans.get(0));
        // valid JSON that UTF-8 can carry: a parser reads the name back as it was
        assertThat(json).contains("\"name\":\"lone \\ud800 high, lone \\udc00 low, pair " + grinning + "\"");
        assertThat(new String(json.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).isEqualTo(json);
    }

    @Test
    void escapesStringsAndKeepsNonAscii() {
        tracer.nextSpan().name("q\"uote\\back\nline\u0001 ünïcødé \u2028").start().tag("k", "tab\there").end();
        String json = encoder.encode(spans.get(0));
        assertThat(json).contains("\"name\":\"q\\\"uote\\\\back\\nline\\u0001 ünïcødé \\u2028\"")
            .contains("\"k\":\"tab\\there\"");
    }

    @Test
    void durationIsAtLeastOneMicrosecondAndIpv6IsNamedSo() {
        Span span = tracer.spanBuilder().name("instant").startTimestamp(5_000_000L, TimeUnit.MICROSECONDS).start();
        span.remoteIpAndPort("::1", 0);
        span.end(5_000_000L, TimeUnit.MICROSECONDS);
        String json = encoder.encode(spans.get(0));
        assertThat(json).contains("\"timestamp\":5000000,\"duration\":1").contains("\"remoteEndpoint\":{\"ipv6\":\"::1\"}");
    }

    @Test
    void a64BitTraceIdIsWrittenAs16Characters() {
        Span span = tracer.spanBuilder()
            .setParent(tracer.traceContextBuilder().traceId("463ac35c9f6413ad").spanId("a2fb4a1d1a96d312").sampled(true)
                .build())
            .name("continued")
            .start();
        span.end();

        assertThat(encoder.encode(spans.get(0))).startsWith("{\"traceId\":\"463ac35c9f6413ad\",");
    }

    @Test
    void listIsAJsonArray() {
        tracer.nextSpan().name("one").start().end();
        tracer.nextSpan().name("two").start().end();
        String json = encoder.encodeList(spans);
        assertThat(json).startsWith("[{").endsWith("}]").contains("},{");
        assertThat(encoder.encodeList(List.of())).isEqualTo("[]");
    }

}
