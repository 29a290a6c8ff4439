package dev.tracing.propagation;

import java.util.List;

import dev.tracing.core.SpanContext;
import dev.tracing.internal.HexCodec;
import io.micrometer.tracing.propagation.Propagator;

/**
 * The B3 multiple headers, as specified by openzipkin/b3-propagation: {@code X-B3-TraceId},
 * {@code X-B3-SpanId}, {@code X-B3-ParentSpanId}, {@code X-B3-Sampled} and {@code X-B3-Flags}.
 *
 * <p>The trace id is 16 or 32 lower-case hex characters, span and parent ids 16.
 * {@code X-B3-Sampled} is {@code 1} or {@code 0} ({@code true} and {@code false}, in any case,
 * are accepted from old senders); {@code X-B3-Flags: 1} means debug, which implies sampled.
 * Sampling headers without ids carry a decision only. Any malformed field means no context.
 *
 * <p>Design notes: field names are lower case, both to read and to write. HTTP header names are
 * case-insensitive and every HTTP carrier this starter adapts looks them up that way, while
 * HTTP/2 requires lower-case names on the wire, so this format reads and writes lower-case names.
 * Kafka record headers are case-sensitive, and Brave and OpenTelemetry write {@code X-B3-TraceId}
 * there: the Kafka instrumentation maps the names to that spelling and reads both. The parent
 * id is written when present, as the specification asks of the multi-header form, and debug is
 * written as {@code X-B3-Flags: 1} without {@code X-B3-Sampled}, as debug implies it.
 */
final class B3MultiFormat implements TraceContextFormat {

    /** The shared instance: this format has no state. */
    public static final B3MultiFormat INSTANCE = new B3MultiFormat();

    static final String TRACE_ID = "x-b3-traceid";

    static final String SPAN_ID = "x-b3-spanid";

    static final String PARENT_SPAN_ID = "x-b3-parentspanid";

    static final String SAMPLED = "x-b3-sampled";

    static final String FLAGS = "x-b3-flags";

    private static final List<String> FIELDS = List.of(TRACE_ID, SPAN_ID, PARENT_SPAN_ID, SAMPLED, FLAGS);

    /** Prefer {@link #INSTANCE}; this format has no state. */
    public B3MultiFormat() {
    }

    @Override
    public List<String> fields() {
        return FIELDS;
    }

    /**
     * Writes the ids (a 64-bit trace id as 16 characters), the parent id when there is one, and
     * the sampling decision when known: {@code x-b3-flags: 1} for debug, else {@code x-b3-sampled}.
     * A context without ids writes the sampling headers only.
     */
    @Override
    public <C> void inject(SpanContext context, C carrier, Propagator.Setter<C> setter) {
        if (context == null) {
            return;
        }
        if (!context.isSamplingFlagsOnly()) {
            long high = context.traceIdHigh();
            setter.set(carrier, TRACE_ID, high == 0L ? HexCodec.toHex64(context.traceIdLow())
                    : HexCodec.toHex128(high, context.traceIdLow()));
            setter.set(carrier, SPAN_ID, HexCodec.toHex64(context.spanIdAsLong()));
            long parentId = context.parentIdAsLong();
            if (parentId != 0L) {
                setter.set(carrier, PARENT_SPAN_ID, HexCodec.toHex64(parentId));
            }
        }
        if (context.isDebug()) {
            setter.set(carrier, FLAGS, "1");
        }
        else {
            Boolean sampled = context.sampled();
            if (sampled != null) {
                setter.set(carrier, SAMPLED, sampled ? "1" : "0");
            }
        }
    }

    /**
     * Returns the context in the B3 headers, a sampling-only context when only the sampling
     * headers are present, or null when there are none or any field is malformed.
     */
    @Override
    public <C> SpanContext extract(C carrier, Propagator.Getter<C> getter) {
        String traceId = getter.get(carrier, TRACE_ID);
        String spanId = getter.get(carrier, SPAN_ID);
        String sampledValue = getter.get(carrier, SAMPLED);
        String flags = getter.get(carrier, FLAGS);

        Boolean sampled = null;
        if (sampledValue != null) {
            if (sampledValue.equals("1") || sampledValue.equalsIgnoreCase("true")) {
                sampled = Boolean.TRUE;
            }
            else if (sampledValue.equals("0") || sampledValue.equalsIgnoreCase("false")) {
                sampled = Boolean.FALSE;
            }
            else {
                return null;
            }
        }
        boolean debug = "1".equals(flags);

        if (traceId == null) {
            if (spanId != null || (sampled == null && !debug)) {
                return null;
            }
            return SpanContext.samplingFlagsOnly(sampled, debug);
        }
        // ids without their leading zeros (older senders, jaeger-client's B3 propagator write them so) are read
        // as Brave reads them: 2 to 32 digits for the trace id, 2 to 16 for the others, padded on the left
        int traceIdLength = traceId.length();
        if (!isId(traceId, 32) || spanId == null || !isId(spanId, 16)) {
            return null;
        }
        long parentId = 0L;
        String parent = getter.get(carrier, PARENT_SPAN_ID);
        if (parent != null) {
            if (!isId(parent, 16)) {
                return null;
            }
            parentId = HexCodec.parseHex64(parent, 0, parent.length());
            if (parentId == 0L) {
                return null;
            }
        }
        long high = traceIdLength > 16 ? HexCodec.parseHex64(traceId, 0, traceIdLength - 16) : 0L;
        long low = HexCodec.parseHex64(traceId, Math.max(0, traceIdLength - 16), traceIdLength);
        // remote(..) returns null for an all-zero trace id or span id
        return SpanContext.remote(high, low, parentId, HexCodec.parseHex64(spanId, 0, spanId.length()), sampled,
                debug);
    }

    /** Whether {@code id} is 2 to {@code maxLength} lower-case hex digits. */
    private static boolean isId(String id, int maxLength) {
        int length = id.length();
        return length >= 2 && length <= maxLength && HexCodec.isLowerHex(id, 0, length);
    }
}
