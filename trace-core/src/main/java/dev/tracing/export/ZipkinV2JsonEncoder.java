package dev.tracing.export;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import dev.tracing.core.ErrorSummary;
import dev.tracing.core.RecordedSpan;
import dev.tracing.core.SpanLimits;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;

/**
 * Writes finished spans as Zipkin v2 JSON, the format the Zipkin API ({@code POST /api/v2/spans})
 * and UI accept.
 *
 * <p>Design notes: the JSON is written by hand into one {@link StringBuilder}: the format is small
 * and fixed, and a general-purpose mapper would cost reflection and intermediate objects per
 * span. Times are epoch microseconds, read straight from this tracer's spans and converted from
 * {@link Instant}s for any other {@link FinishedSpan}. As in Brave, a recorded duration is at
 * least one microsecond (Zipkin reads 0 as "unknown"), and an error recorded as a
 * {@link Throwable} becomes the {@code error} tag (its message, or its type when it has none)
 * unless the span already has one.
 */
public final class ZipkinV2JsonEncoder {

    /** The shared instance; the encoder is stateless. */
    public static final ZipkinV2JsonEncoder INSTANCE = new ZipkinV2JsonEncoder();

    /** The tag that names the type of a span's failure, as in the OpenTelemetry conventions. */
    public static final String EXCEPTION_TYPE = "exception.type";

    /** Writes {@code spans} as a JSON array. */
    public String encodeList(Collection<? extends FinishedSpan> spans) {
        StringBuilder out = new StringBuilder(spans.size() * 320 + 2);
        out.append('[');
        boolean first = true;
        for (FinishedSpan span : spans) {
            if (!first) {
                out.append(',');
            }
            first = false;
            write(span, out);
        }
        return out.append(']').toString();
    }

    /** Writes one span as a JSON object. */
    public String encode(FinishedSpan span) {
        StringBuilder out = new StringBuilder(320);
        write(span, out);
        return out.toString();
    }

    /** Appends one span as a JSON object to {@code out}. */
    public void write(FinishedSpan span, StringBuilder out) {
        out.append("{\"traceId\":");
        JsonStrings.quote(span.getTraceId(), out);
        String parentId = span.getParentId();
        if (parentId != null && !parentId.isEmpty()) {
            out.append(",\"parentId\":");
            JsonStrings.quote(parentId, out);
        }
        out.append(",\"id\":");
        JsonStrings.quote(span.getSpanId(), out);
        Span.Kind kind = span.getKind();
        if (kind != null) {
            out.append(",\"kind\":\"").append(kind.name()).append('"');
        }
        if (span instanceof RecordedSpan recorded && recorded.context().isDebug()) {
            // B3's debug flag: a request to store the span whatever the collector samples
            out.append(",\"debug\":true");
        }
        String name = span.getName();
        if (name != null && !name.isEmpty()) {
            out.append(",\"name\":");
            JsonStrings.quote(name, out);
        }
        long start = startMicros(span);
        if (start != 0L) {
            out.append(",\"timestamp\":").append(start);
            long end = endMicros(span);
            if (end != 0L) {
                out.append(",\"duration\":").append(Math.max(1L, end - start));
            }
        }
        writeEndpoint("localEndpoint", span.getLocalServiceName(), span.getLocalIp(), 0, out);
        writeEndpoint("remoteEndpoint", span.getRemoteServiceName(), span.getRemoteIp(), span.getRemotePort(), out);
        List<Map.Entry<Long, String>> sorted = annotations(span);
        if (!sorted.isEmpty()) {
            out.append(",\"annotations\":[");
            for (int i = 0; i < sorted.size(); i++) {
                Map.Entry<Long, String> event = sorted.get(i);
                if (i > 0) {
                    out.append(',');
                }
                out.append("{\"timestamp\":").append(event.getKey()).append(",\"value\":");
                JsonStrings.quote(event.getValue(), out);
                out.append('}');
            }
            out.append(']');
        }
        Map<String, String> tags = span.getTags();
        Throwable error = span.getError();
        boolean errorTag = error != null && (tags == null || !tags.containsKey("error"));
        // the type and message of a failure are recorded, never its stack trace (it can name internals and data)
        boolean typeTag = error != null && (tags == null || !tags.containsKey(EXCEPTION_TYPE));
        if ((tags != null && !tags.isEmpty()) || errorTag || typeTag) {
            out.append(",\"tags\":{");
            int empty = out.length();
            if (tags != null) {
                // forEach, not an entry iterator: no object per tag
                tags.forEach((key, value) -> {
                    if (key != null && value != null) {
                        if (out.length() != empty) {
                            out.append(',');
                        }
                        JsonStrings.quote(key, out);
                        out.append(':');
                        JsonStrings.quote(value, out);
                    }
                });
            }
            if (errorTag) {
                if (out.length() != empty) {
                    out.append(',');
                }
                out.append("\"error\":");
                JsonStrings.quote(errorMessage(span), out);
            }
            if (typeTag) {
                if (out.length() != empty) {
                    out.append(',');
                }
                out.append("\"" + EXCEPTION_TYPE + "\":");
                JsonStrings.quote(ErrorSummary.typeOf(error), out);
            }
            out.append('}');
        }
        out.append('}');
    }

    /**
     * {@code span}'s events as Zipkin annotations, by time: an entry without a time or a value (a
     * {@code SpanFilter} may set any) is left out, where Zipkin's schema would refuse the message.
     */
    public static List<Map.Entry<Long, String>> annotations(FinishedSpan span) {
        Collection<Map.Entry<Long, String>> events = span.getEvents();
        if (events == null || events.isEmpty()) {
            return List.of();
        }
        List<Map.Entry<Long, String>> sorted = new ArrayList<>(events.size());
        for (Map.Entry<Long, String> event : events) {
            if (event != null && event.getKey() != null && event.getValue() != null) {
                sorted.add(event);
            }
        }
        sorted.sort(Comparator.comparingLong(Map.Entry::getKey));
        return sorted;
    }

    /**
     * The value of the {@code error} tag for {@code span}'s error: its message, or its type without one,
     * cut as a tag value is ({@link #cutLikeATag}).
     */
    public static String errorMessage(FinishedSpan span) {
        Throwable error = span.getError();
        String message = error.getMessage();
        return message != null && !message.isEmpty() ? cutLikeATag(span, message) : ErrorSummary.simpleTypeOf(error);
    }

    /**
     * {@code value} cut to the span's {@code max-tag-value-length} (the default one for another tracer's
     * span): an exception's message may hold a whole payload, and one span of megabytes would fail the
     * whole batch it is sent in.
     */
    static String cutLikeATag(FinishedSpan span, String value) {
        SpanLimits limits = span instanceof RecordedSpan recorded ? recorded.limits() : SpanLimits.DEFAULTS;
        return limits.cut(value);
    }

    private static void writeEndpoint(String field, String serviceName, String ip, int port, StringBuilder out) {
        boolean hasService = serviceName != null && !serviceName.isEmpty();
        boolean hasIp = ip != null && !ip.isEmpty();
        boolean hasPort = port > 0 && port <= 0xffff;
        if (!hasService && !hasIp && !hasPort) {
            return;
        }
        out.append(",\"").append(field).append("\":{");
        boolean first = true;
        if (hasService) {
            out.append("\"serviceName\":");
            JsonStrings.quote(serviceName, out);
            first = false;
        }
        if (hasIp) {
            if (!first) {
                out.append(',');
            }
            out.append(ip.indexOf(':') >= 0 ? "\"ipv6\":" : "\"ipv4\":");
            JsonStrings.quote(ip, out);
            first = false;
        }
        if (hasPort) {
            if (!first) {
                out.append(',');
            }
            out.append("\"port\":").append(port);
        }
        out.append('}');
    }

    /** Returns the span's start in epoch microseconds, 0 when unknown. */
    public static long startMicros(FinishedSpan span) {
        if (span instanceof RecordedSpan) {
            return ((RecordedSpan) span).startMicros();
        }
        return toMicros(span.getStartTimestamp());
    }

    /** Returns the span's end in epoch microseconds, 0 when unknown. */
    public static long endMicros(FinishedSpan span) {
        if (span instanceof RecordedSpan) {
            return ((RecordedSpan) span).endMicros();
        }
        return toMicros(span.getEndTimestamp());
    }

    private static long toMicros(Instant instant) {
        if (instant == null) {
            return 0L;
        }
        return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1000L;
    }
}
