package dev.tracing.export;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.tracing.core.ErrorSummary;
import dev.tracing.core.RecordedSpan;
import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.exporter.FinishedSpan;

/**
 * Encodes spans as an OTLP {@code ExportTraceServiceRequest} (opentelemetry-proto
 * {@code trace/v1}, protobuf binary), the body of an OTLP/HTTP {@code POST /v1/traces}: one
 * {@code ResourceSpans} per service name (resource attribute {@code service.name}), one scope,
 * and per span its ids, parent, name, kind, start and end, attributes (the tags; the remote
 * service and address as {@code peer.service}, {@code network.peer.address} and
 * {@code network.peer.port}), events, links and status. An error becomes status ERROR with its
 * message and an {@code exception} event with the type and message, never a stack trace.
 *
 * <p>Design notes: written against the wire format rather than with the generated protobuf
 * classes, so applications get no protobuf runtime (whose versions clash with gRPC's) from this
 * starter; the tests decode every field with the official classes. A nested message is written
 * in place and its length inserted in front of it when it ends, so nothing is encoded twice.
 */
public final class OtlpProtoEncoder {

    /** The shared instance; the encoder is stateless. */
    public static final OtlpProtoEncoder INSTANCE = new OtlpProtoEncoder();

    static final String SCOPE_NAME = "dev.tracing";

    private static final int WIRE_VARINT = 0;

    private static final int WIRE_FIXED64 = 1;

    private static final int WIRE_LENGTH = 2;

    private static final int WIRE_FIXED32 = 5;

    private static final int STATUS_ERROR = 2;

    private static final int FLAG_SAMPLED = 1;

    /** Encodes {@code spans} as one request. */
    public byte[] encode(Collection<? extends FinishedSpan> spans) {
        Map<String, List<FinishedSpan>> byService = new LinkedHashMap<>();
        for (FinishedSpan span : spans) {
            String service = span.getLocalServiceName() != null ? span.getLocalServiceName() : "";
            byService.computeIfAbsent(service, s -> new ArrayList<>()).add(span);
        }
        Writer out = new Writer(spans.size() * 256 + 64);
        for (Map.Entry<String, List<FinishedSpan>> service : byService.entrySet()) {
            int resourceSpans = out.begin();
            int resource = out.begin();
            stringAttribute(out, 1, "service.name", service.getKey());
            stringAttribute(out, 1, "telemetry.sdk.name", SCOPE_NAME);
            stringAttribute(out, 1, "telemetry.sdk.language", "java");
            out.end(1, resource);
            int scopeSpans = out.begin();
            int scope = out.begin();
            out.string(1, SCOPE_NAME);
            out.end(1, scope);
            for (FinishedSpan span : service.getValue()) {
                writeSpan(out, span);
            }
            out.end(2, scopeSpans);
            out.end(1, resourceSpans);
        }
        return out.toByteArray();
    }

    private static void writeSpan(Writer out, FinishedSpan span) {
        int start = out.begin();
        out.bytes(1, traceIdBytes(span.getTraceId()));
        out.bytes(2, idBytes(span.getSpanId(), 8));
        String parentId = span.getParentId();
        if (parentId != null && !parentId.isEmpty()) {
            out.bytes(4, idBytes(parentId, 8));
        }
        RecordedSpan recorded = span instanceof RecordedSpan r ? r : null;
        String traceState = recorded != null ? recorded.context().traceState() : null;
        if (traceState != null && !traceState.isEmpty()) {
            out.string(3, traceState);
        }
        out.string(5, span.getName() != null ? span.getName() : "");
        out.varint(6, kind(span.getKind()));
        long startMicros = ZipkinV2JsonEncoder.startMicros(span);
        long endMicros = ZipkinV2JsonEncoder.endMicros(span);
        out.fixed64(7, startMicros * 1000L);
        out.fixed64(8, Math.max(endMicros, startMicros) * 1000L);
        Map<String, String> tags = span.getTags();
        if (tags != null) {
            // forEach, not an entry iterator: no object per tag
            tags.forEach((key, value) -> {
                if (key != null && value != null) {
                    attribute(out, 9, key, value);
                }
            });
        }
        // keys are unique in OTLP: a tag of the same name wins
        if (span.getRemoteServiceName() != null && !span.getRemoteServiceName().isEmpty()
                && !hasTag(tags, "peer.service")) {
            stringAttribute(out, 9, "peer.service", span.getRemoteServiceName());
        }
        if (span.getRemoteIp() != null && !span.getRemoteIp().isEmpty()) {
            if (!hasTag(tags, "network.peer.address")) {
                stringAttribute(out, 9, "network.peer.address", span.getRemoteIp());
            }
            if (span.getRemotePort() > 0 && !hasTag(tags, "network.peer.port")) {
                intAttribute(out, 9, "network.peer.port", span.getRemotePort());
            }
        }
        if (recorded != null && recorded.droppedTagCount() > 0) {
            out.varint(10, recorded.droppedTagCount());
        }
        Collection<Map.Entry<Long, String>> events = span.getEvents();
        if (events != null) {
            for (Map.Entry<Long, String> event : events) {
                if (event == null || event.getKey() == null) {
                    continue; // a SpanFilter may set any entry: one without a time is no event
                }
                int e = out.begin();
                out.fixed64(1, event.getKey() * 1000L);
                out.string(2, event.getValue() != null ? event.getValue() : "");
                out.end(11, e);
            }
        }
        if (recorded != null && recorded.droppedEventCount() > 0) {
            out.varint(12, recorded.droppedEventCount());
        }
        Throwable error = span.getError();
        if (error != null) {
            int e = out.begin();
            out.fixed64(1, endMicros * 1000L);
            out.string(2, "exception");
            stringAttribute(out, 3, "exception.type", ErrorSummary.typeOf(error));
            if (error.getMessage() != null) {
                stringAttribute(out, 3, "exception.message", ZipkinV2JsonEncoder.cutLikeATag(span, error.getMessage()));
            }
            out.end(11, e);
        }
        List<Link> links = span.getLinks();
        if (links != null) {
            for (Link link : links) {
                TraceContext context = link.getTraceContext();
                if (context == null || context.traceId() == null || context.spanId() == null) {
                    continue;
                }
                int l = out.begin();
                out.bytes(1, traceIdBytes(context.traceId()));
                out.bytes(2, idBytes(context.spanId(), 8));
                Map<String, Object> linkTags = link.getTags();
                if (linkTags != null) {
                    for (Map.Entry<String, Object> tag : linkTags.entrySet()) {
                        if (tag.getKey() != null && tag.getValue() != null) {
                            stringAttribute(out, 4, tag.getKey(), String.valueOf(tag.getValue()));
                        }
                    }
                }
                out.end(13, l);
            }
        }
        if (recorded != null && recorded.droppedLinkCount() > 0) {
            out.varint(14, recorded.droppedLinkCount());
        }
        String errorMessage = error != null ? ZipkinV2JsonEncoder.errorMessage(span)
                : tags != null ? tags.get("error") : null;
        if (errorMessage != null) {
            int status = out.begin();
            out.string(2, errorMessage);
            out.varint(3, STATUS_ERROR);
            out.end(15, status);
        }
        out.fixed32(16, FLAG_SAMPLED);
        out.end(2, start);
    }

    /**
     * The OpenTelemetry conventions' integer attributes among the tags this project writes: tags
     * are strings in Micrometer's API, and a backend compares these as numbers
     * ({@code http.response.status_code >= 500}).
     */
    private static final Set<String> INT_ATTRIBUTES = Set.of("http.response.status_code", "server.port",
            "client.port", "network.peer.port", "rpc.grpc.status_code", "messaging.kafka.offset",
            "messaging.batch.message_count", "http.request.resend_count");

    /** A tag as an attribute: an integer for a key of {@link #INT_ATTRIBUTES} whose value is one. */
    private static void attribute(Writer out, int field, String key, String value) {
        if (INT_ATTRIBUTES.contains(key)) {
            long number = parseLong(value);
            if (number != Long.MIN_VALUE) {
                intAttribute(out, field, key, number);
                return;
            }
        }
        stringAttribute(out, field, key, value);
    }

    /** The decimal integer {@code value}, or {@link Long#MIN_VALUE} when it is none (or too long). */
    static long parseLong(String value) {
        int length = value.length();
        int i = length > 0 && value.charAt(0) == '-' ? 1 : 0;
        if (length == i || length - i > 18) {
            return Long.MIN_VALUE;
        }
        long number = 0L;
        for (; i < length; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return Long.MIN_VALUE;
            }
            number = number * 10 + (c - '0');
        }
        return value.charAt(0) == '-' ? -number : number;
    }

    private static boolean hasTag(Map<String, String> tags, String key) {
        return tags != null && tags.containsKey(key);
    }

    private static void intAttribute(Writer out, int field, String key, long number) {
        int attribute = out.begin();
        out.string(1, key);
        int value = out.begin();
        out.varint(3, number);
        out.end(2, value);
        out.end(field, attribute);
    }

    private static void stringAttribute(Writer out, int field, String key, String value) {
        int attribute = out.begin();
        out.string(1, key);
        int any = out.begin();
        out.string(1, value);
        out.end(2, any);
        out.end(field, attribute);
    }

    private static int kind(Span.Kind kind) {
        if (kind == null) {
            return 1; // INTERNAL
        }
        switch (kind) {
            case SERVER:
                return 2;
            case CLIENT:
                return 3;
            case PRODUCER:
                return 4;
            case CONSUMER:
                return 5;
            default:
                return 1;
        }
    }

    /** A 64-bit trace id is the low half of OTLP's 16 bytes, as W3C trace context pads it. */
    private static byte[] traceIdBytes(String hex) {
        if (hex.length() == 16) {
            byte[] bytes = new byte[16];
            System.arraycopy(idBytes(hex, 8), 0, bytes, 8, 8);
            return bytes;
        }
        return idBytes(hex, 16);
    }

    private static byte[] idBytes(String hex, int length) {
        byte[] bytes = new byte[length];
        int offset = length * 2 - hex.length();
        for (int i = 0; i < hex.length(); i++) {
            int digit = Character.digit(hex.charAt(i), 16);
            int position = i + offset;
            if (digit < 0 || position < 0) {
                continue;
            }
            bytes[position / 2] |= (byte) ((position % 2 == 0) ? digit << 4 : digit);
        }
        return bytes;
    }

    /**
     * Appends protobuf fields to a growing array. {@link #begin()} marks where a nested message
     * starts; {@link #end(int, int)} moves its bytes right to make room for its tag and length.
     */
    static final class Writer {

        private byte[] buffer;

        private int position;

        Writer(int capacity) {
            this.buffer = new byte[Math.max(capacity, 64)];
        }

        int begin() {
            return position;
        }

        void end(int field, int start) {
            int length = position - start;
            int tagSize = varintSize(tag(field, WIRE_LENGTH));
            int header = tagSize + varintSize(length);
            ensure(header);
            System.arraycopy(buffer, start, buffer, start + header, length);
            int end = position + header;
            position = start;
            rawVarint(tag(field, WIRE_LENGTH));
            rawVarint(length);
            position = end;
        }

        void string(int field, String value) {
            bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        void bytes(int field, byte[] value) {
            rawVarint(tag(field, WIRE_LENGTH));
            rawVarint(value.length);
            ensure(value.length);
            System.arraycopy(value, 0, buffer, position, value.length);
            position += value.length;
        }

        void varint(int field, long value) {
            rawVarint(tag(field, WIRE_VARINT));
            rawVarint(value);
        }

        void fixed64(int field, long value) {
            rawVarint(tag(field, WIRE_FIXED64));
            ensure(8);
            for (int i = 0; i < 8; i++) {
                buffer[position++] = (byte) (value >>> (8 * i));
            }
        }

        void fixed32(int field, int value) {
            rawVarint(tag(field, WIRE_FIXED32));
            ensure(4);
            for (int i = 0; i < 4; i++) {
                buffer[position++] = (byte) (value >>> (8 * i));
            }
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buffer, position);
        }

        private void rawVarint(long value) {
            ensure(10);
            while ((value & ~0x7FL) != 0) {
                buffer[position++] = (byte) ((value & 0x7F) | 0x80);
                value >>>= 7;
            }
            buffer[position++] = (byte) value;
        }

        private void ensure(int more) {
            if (position + more > buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, position + more));
            }
        }

        private static int tag(int field, int wireType) {
            return (field << 3) | wireType;
        }

        private static int varintSize(long value) {
            int size = 1;
            while ((value & ~0x7FL) != 0) {
                value >>>= 7;
                size++;
            }
            return size;
        }

    }

}
