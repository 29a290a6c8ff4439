package dev.tracing.internal;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The names of the headers that carry a trace context in the formats this project reads or writes. */
public final class TraceHeaderNames {

    /**
     * Every trace context header of W3C trace context, B3 (single and multi) and Jaeger, in lower
     * case, whichever an application writes: a message or call passed on with its upstream headers
     * (a forwarded record, a gateway's metadata) keeps them, and a stale {@code b3} beside our
     * {@code traceparent} would make a receiver that reads B3 first join the wrong trace.
     */
    public static final List<String> CONTEXT = List.of("traceparent", "tracestate", "b3", "x-b3-traceid",
            "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags", "uber-trace-id");

    /**
     * The B3 multi-header names as Brave and OpenTelemetry write them, by the lower-case names our
     * propagator reads and writes. Message headers (Kafka's, RabbitMQ's) are case-sensitive, unlike
     * HTTP's: there, these spellings are written, and both are read.
     */
    private static final Map<String, String> B3_MULTI_AS_WRITTEN = Map.of("x-b3-traceid", "X-B3-TraceId",
            "x-b3-spanid", "X-B3-SpanId", "x-b3-parentspanid", "X-B3-ParentSpanId", "x-b3-sampled", "X-B3-Sampled",
            "x-b3-flags", "X-B3-Flags");

    /**
     * The spelling Brave and OpenTelemetry give a B3 multi-header name on case-sensitive carriers
     * ({@code X-B3-TraceId} for {@code x-b3-traceid}), or null for any other name.
     */
    public static String b3MultiAsWritten(String lowerCaseName) {
        return B3_MULTI_AS_WRITTEN.get(lowerCaseName);
    }

    /**
     * The names to remove before writing a context: {@code fields} (a propagator's, as written:
     * Kafka's headers are case-sensitive) and every name of {@link #CONTEXT}, each once.
     */
    public static List<String> replacedBy(List<String> fields) {
        Set<String> names = new LinkedHashSet<>(fields);
        names.addAll(CONTEXT);
        return List.copyOf(names);
    }

    private TraceHeaderNames() {
    }

}
