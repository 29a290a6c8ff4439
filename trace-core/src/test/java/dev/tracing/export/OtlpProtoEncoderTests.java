package dev.tracing.export;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.google.protobuf.ByteString;
import dev.tracing.core.SpanLimits;
import dev.tracing.core.Tracing;
import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.Status;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The encoder's output, decoded with the official opentelemetry-proto classes. */
class OtlpProtoEncoderTests {

    private final List<FinishedSpan> spans = new ArrayList<>();

    private final Tracer tracer = Tracing.newBuilder().serviceName("orders").reporter(spans::add).build();

    @Test
    void everyFieldDecodesWithTheOfficialClasses() throws Exception {
        Span parent = tracer.nextSpan().name("parent").start();
        Span linked = tracer.nextSpan().name("linked").start();
        Span span = tracer.spanBuilder()
            .setParent(parent.context())
            .name("GET /users/{id}")
            .kind(Span.Kind.CLIENT)
            .remoteServiceName("users")
            .remoteIpAndPort("10.1.2.3", 8080)
            .addLink(new Link(linked.context(), Map.of("why", "batch")))
            .startTimestamp(1_700_000_000_000_000L, TimeUnit.MICROSECONDS)
            .start();
        span.tag("http.request.method", "GET");
        span.tag("ünïcødé", "välue");
        span.event("wire-send", 1_700_000_000_000_500L, TimeUnit.MICROSECONDS);
        span.error(new IllegalStateException("boom"));
        span.end(1_700_000_000_002_000L, TimeUnit.MICROSECONDS);

        ExportTraceServiceRequest request = ExportTraceServiceRequest
            .parseFrom(OtlpProtoEncoder.INSTANCE.encode(spans));

        assertThat(request.getResourceSpansCount()).isEqualTo(1);
        ResourceSpans resourceSpans = request.getResourceSpans(0);
        assertThat(attributes(resourceSpans.getResource().getAttributesList())).containsEntry("service.name", "orders");
        assertThat(resourceSpans.getScopeSpans(0).getScope().getName()).isEqualTo("dev.tracing");
        io.opentelemetry.proto.trace.v1.Span decoded = resourceSpans.getScopeSpans(0).getSpans(0);
        assertThat(hex(decoded.getTraceId())).isEqualTo(span.context().traceId());
        assertThat(hex(decoded.getSpanId())).isEqualTo(span.context().spanId());
        assertThat(hex(decoded.getParentSpanId())).isEqualTo(parent.context().spanId());
        assertThat(decoded.getName()).isEqualTo("GET /users/{id}");
        assertThat(decoded.getKind()).isEqualTo(io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_CLIENT);
        assertThat(decoded.getStartTimeUnixNano()).isEqualTo(1_700_000_000_000_000_000L);
        assertThat(decoded.getEndTimeUnixNano()).isEqualTo(1_700_000_000_002_000_000L);
        assertThat(attributes(decoded.getAttributesList())).containsEntry("http.request.method", "GET")
            .containsEntry("ünïcødé", "välue")
            .containsEntry("peer.service", "users")
            .containsEntry("network.peer.address", "10.1.2.3")
            .containsEntry("network.peer.port", "8080");
        assertThat(decoded.getEvents(0).getName()).isEqualTo("wire-send");
        assertThat(decoded.getEvents(0).getTimeUnixNano()).isEqualTo(1_700_000_000_000_500_000L);
        assertThat(decoded.getEvents(1).getName()).isEqualTo("exception");
        assertThat(attributes(decoded.getEvents(1).getAttributesList()))
            .containsEntry("exception.type", "java.lang.IllegalStateException")
            .containsEntry("exception.message", "boom")
            .doesNotContainKey("exception.stacktrace");
        assertThat(decoded.getLinksCount()).isEqualTo(1);
        assertThat(hex(decoded.getLinks(0).getTraceId())).isEqualTo(linked.context().traceId());
        assertThat(hex(decoded.getLinks(0).getSpanId())).isEqualTo(linked.context().spanId());
        assertThat(attributes(decoded.getLinks(0).getAttributesList())).containsEntry("why", "batch");
        assertThat(decoded.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
        assertThat(decoded.getStatus().getMessage()).isEqualTo("boom");
        assertThat(decoded.getFlags() & 1).isEqualTo(1);
    }

    @Test
    void rootServerSpanWithoutErrorHasNoParentAndUnsetStatus() throws Exception {
        tracer.spanBuilder().name("GET /").kind(Span.Kind.SERVER).start().end();
        tracer.nextSpan().name("local").start().end();
        io.opentelemetry.proto.trace.v1.ScopeSpans scope = ExportTraceServiceRequest
            .parseFrom(OtlpProtoEncoder.INSTANCE.encode(spans))
            .getResourceSpans(0)
            .getScopeSpans(0);
        assertThat(scope.getSpans(0).getParentSpanId()).isEmpty();
        assertThat(scope.getSpans(0).getKind()).isEqualTo(io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER);
        assertThat(scope.getSpans(0).getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_UNSET);
        assertThat(scope.getSpans(1).getKind())
            .isEqualTo(io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_INTERNAL);
    }

    @Test
    void anErrorsMessageIsCutAsATagValueIs() throws Exception {
        String payload = "x".repeat(6 << 20);
        tracer.nextSpan().name("a").start().error(new IllegalStateException("bad payload: " + payload)).end();
        byte[] encoded = OtlpProtoEncoder.INSTANCE.encode(spans);
        io.opentelemetry.proto.trace.v1.Span decoded = ExportTraceServiceRequest.parseFrom(encoded)
            .getResourceSpans(0)
            .getScopeSpans(0)
            .getSpans(0);
        assertThat(decoded.getStatus().getMessage()).startsWith("bad payload: xxx")
            .hasSize(SpanLimits.DEFAULT_MAX_TAG_VALUE_LENGTH);
        assertThat(decoded.getEvents(0).getAttributesList())
            .anySatisfy(attribute -> assertThat(attribute.getValue().getStringValue())
                .startsWith("bad payload: xxx").hasSize(SpanLimits.DEFAULT_MAX_TAG_VALUE_LENGTH));
        assertThat(encoded.length).isLessThan(4 * SpanLimits.DEFAULT_MAX_TAG_VALUE_LENGTH);
    }

    @Test
    void conventionIntegersAreIntAttributesAndKeysAreUnique() throws Exception {
        Span span = tracer.spanBuilder().name("GET").kind(Span.Kind.SERVER).remoteServiceName("users")
            .remoteIpAndPort("10.1.2.3", 8080).start();
        span.tag("http.response.status_code", "503");
        span.tag("server.port", "not-a-number");
        span.tag("peer.service", "users-v2");
        span.end();
        io.opentelemetry.proto.trace.v1.Span decoded = decodeOnly();
        Map<String, AnyValue> values = new java.util.HashMap<>();
        for (KeyValue attribute : decoded.getAttributesList()) {
            // a key twice would be a malformed request: OTLP keys are unique
            assertThat(values.put(attribute.getKey(), attribute.getValue())).as(attribute.getKey()).isNull();
        }
        assertThat(values.get("http.response.status_code").hasIntValue()).isTrue();
        assertThat(values.get("http.response.status_code").getIntValue()).isEqualTo(503);
        // a value that is no integer stays a string; a tag of the same name wins over the remote service
        assertThat(values.get("server.port").getStringValue()).isEqualTo("not-a-number");
        assertThat(values.get("peer.service").getStringValue()).isEqualTo("users-v2");
        assertThat(values.get("network.peer.port").getIntValue()).isEqualTo(8080);
        assertThat(OtlpProtoEncoder.parseLong("-42")).isEqualTo(-42L);
        assertThat(OtlpProtoEncoder.parseLong("-")).isEqualTo(Long.MIN_VALUE);
        assertThat(OtlpProtoEncoder.parseLong("1234567890123456789")).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void droppedCountsAndTheTraceStateAreSent() throws Exception {
        Tracer limited = Tracing.newBuilder().serviceName("orders").reporter(spans::add)
            .spanLimits(SpanLimits.builder().maxTags(1).maxEvents(1).maxLinks(1).build()).build();
        dev.tracing.core.SpanContext upstream = dev.tracing.core.SpanContext.remote(1L, 2L, 0L, 3L, true, false)
            .withTraceState("rojo=00f067aa0ba902b7");
        Span other = limited.nextSpan().name("other").start();
        Span span = limited.spanBuilder().setParent(upstream).name("in").kind(Span.Kind.SERVER)
            .addLink(new Link(other.context())).addLink(new Link(other.context())).start();
        span.tag("k1", "v").tag("k2", "v").tag("k3", "v");
        span.event("e1").event("e2");
        span.end();
        io.opentelemetry.proto.trace.v1.Span decoded = decodeOnly();
        assertThat(decoded.getDroppedAttributesCount()).isEqualTo(2);
        assertThat(decoded.getDroppedEventsCount()).isEqualTo(1);
        assertThat(decoded.getDroppedLinksCount()).isEqualTo(1);
        assertThat(decoded.getTraceState()).isEqualTo("rojo=00f067aa0ba902b7");
    }

    @Test
    void anEventAFilterLeftWithoutATimeIsLeftOutAndOneWithoutAValueIsNamedEmpty() throws Exception {
        tracer.nextSpan().name("filtered").start().event("kept").end();
        dev.tracing.core.RecordedSpan span = (dev.tracing.core.RecordedSpan) spans.get(0);
        List<Map.Entry<Long, String>> events = new ArrayList<>(span.getEvents());
        events.add(new java.util.AbstractMap.SimpleEntry<>(null, "no time"));
        events.add(new java.util.AbstractMap.SimpleEntry<>(1L, null));
        span.setEvents(events);
        assertThat(decodeOnly().getEventsList()).extracting(io.opentelemetry.proto.trace.v1.Span.Event::getName)
            .containsExactly("kept", "");
    }

    private io.opentelemetry.proto.trace.v1.Span decodeOnly() throws Exception {
        return ExportTraceServiceRequest.parseFrom(OtlpProtoEncoder.INSTANCE.encode(spans))
            .getResourceSpans(0)
            .getScopeSpans(0)
            .getSpans(0);
    }

    @Test
    void anErrorTagWithoutAThrowableIsAnErrorStatus() throws Exception {
        tracer.nextSpan().name("GET").start().tag("error", "503").end();
        io.opentelemetry.proto.trace.v1.Span decoded = ExportTraceServiceRequest
            .parseFrom(OtlpProtoEncoder.INSTANCE.encode(spans))
            .getResourceSpans(0)
            .getScopeSpans(0)
            .getSpans(0);
        assertThat(decoded.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
        assertThat(decoded.getStatus().getMessage()).isEqualTo("503");
    }

    @Test
    void spansOfTwoServicesAreTwoResourcesAndA64BitTraceIdIsPadded() throws Exception {
        Tracer other = Tracing.newBuilder().serviceName("billing").reporter(spans::add).build();
        tracer.nextSpan().name("a").start().end();
        other.nextSpan().name("b").start().end();
        ExportTraceServiceRequest request = ExportTraceServiceRequest
            .parseFrom(OtlpProtoEncoder.INSTANCE.encode(spans));
        assertThat(request.getResourceSpansList().stream()
            .map(r -> attributes(r.getResource().getAttributesList()).get("service.name")))
            .containsExactly("orders", "billing");

        // a span of ours continuing a 64-bit trace id
        spans.clear();
        tracer.spanBuilder()
            .setParent(tracer.traceContextBuilder().traceId("463ac35c9f6413ad").spanId("a2fb4a1d1a96d312").sampled(true)
                .build())
            .name("continued")
            .start()
            .end();
        assertThat(spans.get(0).getTraceId()).isEqualTo("463ac35c9f6413ad");
        assertThat(hex(ExportTraceServiceRequest.parseFrom(OtlpProtoEncoder.INSTANCE.encode(spans))
            .getResourceSpans(0)
            .getScopeSpans(0)
            .getSpans(0)
            .getTraceId())).isEqualTo("0000000000000000463ac35c9f6413ad");

        // another tracer's span (Micrometer's SimpleSpan) with a 64-bit trace id
        io.micrometer.tracing.test.simple.SimpleSpan shortId = new io.micrometer.tracing.test.simple.SimpleSpan();
        shortId.context().setTraceId("463ac35c9f6413ad");
        shortId.context().setSpanId("a2fb4a1d1a96d312");
        shortId.name("continued").start();
        shortId.end();
        byte[] bytes = OtlpProtoEncoder.INSTANCE.encode(List.of(shortId));
        ByteString traceId = ExportTraceServiceRequest.parseFrom(bytes)
            .getResourceSpans(0)
            .getScopeSpans(0)
            .getSpans(0)
            .getTraceId();
        assertThat(hex(traceId)).isEqualTo("0000000000000000463ac35c9f6413ad");
    }

    @Test
    void manySpansMakeOneValidRequest() throws Exception {
        for (int i = 0; i < 600; i++) {
            tracer.nextSpan().name("span-" + i).start().tag("i", String.valueOf(i)).end();
        }
        ExportTraceServiceRequest request = ExportTraceServiceRequest
            .parseFrom(OtlpProtoEncoder.INSTANCE.encode(spans));
        List<io.opentelemetry.proto.trace.v1.Span> decoded = request.getResourceSpans(0).getScopeSpans(0).getSpansList();
        assertThat(decoded).hasSize(600);
        assertThat(decoded.get(599).getName()).isEqualTo("span-599");
        assertThat(hex(decoded.get(599).getSpanId())).isEqualTo(spans.get(599).getSpanId());
    }

    private static Map<String, String> attributes(List<KeyValue> attributes) {
        return attributes.stream().collect(Collectors.toMap(KeyValue::getKey, kv -> value(kv.getValue())));
    }

    private static String value(AnyValue value) {
        return value.hasIntValue() ? String.valueOf(value.getIntValue()) : value.getStringValue();
    }

    private static String hex(ByteString bytes) {
        return HexFormat.of().formatHex(bytes.toByteArray());
    }

}
