package dev.tracing.propagation;

/**
 * The trace context formats that {@code trace.propagation.produce} and
 * {@code trace.propagation.consume} name.
 */
public enum PropagationType {

    /** W3C Trace Context: {@code traceparent} and {@code tracestate}. */
    W3C("w3c", W3cTraceContextFormat.INSTANCE),

    /** B3 single header: {@code b3}. */
    B3("b3", B3SingleFormat.INSTANCE),

    /** B3 multiple headers: {@code x-b3-traceid}, {@code x-b3-spanid} and the rest. */
    B3_MULTI("b3-multi", B3MultiFormat.INSTANCE),

    /** Jaeger: {@code uber-trace-id}, with the allowed baggage in {@code uberctx-{name}} headers. */
    JAEGER("jaeger", JaegerFormat.INSTANCE);

    private final String configName;

    private final TraceContextFormat format;

    PropagationType(String configName, TraceContextFormat format) {
        this.configName = configName;
        this.format = format;
    }

    /**
     * Returns the name used in configuration: {@code w3c}, {@code b3}, {@code b3-multi} or
     * {@code jaeger}.
     */
    public String configName() {
        return configName;
    }

    /** Returns the shared, stateless format for this type. */
    TraceContextFormat format() {
        return format;
    }

    /**
     * Returns the type named {@code name} ({@code w3c}, {@code b3}, {@code b3-multi},
     * {@code b3_multi} or {@code jaeger}, in any case, surrounding whitespace ignored), or null when
     * it is unknown.
     */
    public static PropagationType fromName(String name) {
        if (name == null) {
            return null;
        }
        String trimmed = name.trim();
        for (PropagationType type : values()) {
            if (type.configName.equalsIgnoreCase(trimmed)) {
                return type;
            }
        }
        return B3_MULTI.name().equalsIgnoreCase(trimmed) ? B3_MULTI : null;
    }
}
