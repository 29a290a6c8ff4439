package dev.tracing.internal;

import java.util.LinkedHashSet;
import java.util.List;
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
