package dev.tracing.propagation;

import java.util.List;

import dev.tracing.core.SpanContext;
import dev.tracing.internal.HexCodec;
import io.micrometer.tracing.propagation.Propagator;

/**
 * The B3 single header, {@code b3}, as specified by openzipkin/b3-propagation.
 *
 * <pre>{@code
 * b3: {TraceId}-{SpanId}-{SamplingState}-{ParentSpanId}
 * b3: 80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90
 * b3: 0
 * }</pre>
 *
 * <p>The trace id is 16 or 32 lower-case hex characters (a 64-bit id is kept as the low half, the
 * high half zero, and stays 16 characters in logs and when passed on), span and parent ids 16. The sampling state is {@code 1}, {@code 0} or
 * {@code d} (debug, which implies sampled); sampling state and parent id are optional. A value of
 * only {@code 0}, {@code 1} or {@code d} carries a sampling decision without ids. Anything else
 * is malformed and yields no context.
 *
 * <p>Design notes: parsing is by index over the value with no split, regex or substring, so a
 * request allocates only the context. Like Brave, {@code {TraceId}-{SpanId}-{ParentSpanId}}
 * (a parent without a sampling state) is accepted, as some old senders write it. On inject the
 * parent id is left out: a receiver starts a child span and never needs it, and it saves 17
 * bytes on every request (the specification lists it as optional).
 */
final class B3SingleFormat implements TraceContextFormat {

    /** The shared instance: this format has no state. */
    public static final B3SingleFormat INSTANCE = new B3SingleFormat();

    static final String B3 = "b3";

    private static final List<String> FIELDS = List.of(B3);

    /** traceid128-spanid-d */
    private static final int MAX_WRITE_LENGTH = 32 + 1 + 16 + 2;

    /** traceid128-spanid-d-parentid */
    private static final int MAX_READ_LENGTH = MAX_WRITE_LENGTH + 1 + 16;

    /** Prefer {@link #INSTANCE}; this format has no state. */
    public B3SingleFormat() {
    }

    @Override
    public List<String> fields() {
        return FIELDS;
    }

    /**
     * Writes {@code b3: traceId-spanId} followed by {@code -1}, {@code -0} or {@code -d} when the
     * sampling decision is known. A context without ids is written as a bare {@code 1}, {@code 0}
     * or {@code d}, and not at all when it has no decision either.
     */
    @Override
    public <C> void inject(SpanContext context, C carrier, Propagator.Setter<C> setter) {
        if (context == null) {
            return;
        }
        String value = write(context);
        if (value != null) {
            setter.set(carrier, B3, value);
        }
    }

    /** Returns the {@code b3} value for {@code context}, or null when there is nothing to write. */
    static String write(SpanContext context) {
        Boolean sampled = context.sampled();
        char samplingState = context.isDebug() ? 'd' : sampled == null ? 0 : sampled ? '1' : '0';
        if (context.isSamplingFlagsOnly()) {
            return samplingState == 0 ? null : String.valueOf(samplingState);
        }
        char[] out = new char[MAX_WRITE_LENGTH];
        int pos = TraceIds.writeTraceIdAndSpanId(context, '-', out);
        if (samplingState != 0) {
            out[pos++] = '-';
            out[pos++] = samplingState;
        }
        return new String(out, 0, pos);
    }

    /** Returns the context in the {@code b3} header, or null when it is absent or malformed. */
    @Override
    public <C> SpanContext extract(C carrier, Propagator.Getter<C> getter) {
        String value = getter.get(carrier, B3);
        return value == null ? null : parse(value, 0, value.length());
    }

    /**
     * Parses the {@code b3} value in {@code [begin, end)} of {@code b3}, or returns null when it is
     * malformed. Never throws for any input.
     */
    public static SpanContext parse(CharSequence b3, int begin, int end) {
        if (b3 == null || begin < 0 || end > b3.length() || begin >= end) {
            return null;
        }
        int length = end - begin;
        if (length == 1) {
            return parseSamplingState(b3.charAt(begin));
        }
        if (length < 16 + 1 + 16 || length > MAX_READ_LENGTH) {
            return null;
        }
        int traceIdLength = b3.charAt(begin + 16) == '-' ? 16 : 32;
        int pos = begin + traceIdLength;
        if (pos + 1 + 16 > end || b3.charAt(pos) != '-' || !HexCodec.isLowerHex(b3, begin, pos)) {
            return null;
        }
        long high = traceIdLength == 32 ? HexCodec.parseHex64(b3, begin, begin + 16) : 0L;
        long low = HexCodec.parseHex64(b3, pos - 16, pos);
        pos++;
        if (!HexCodec.isLowerHex(b3, pos, pos + 16)) {
            return null;
        }
        long spanId = HexCodec.parseHex64(b3, pos, pos + 16);
        pos += 16;

        Boolean sampled = null;
        boolean debug = false;
        long parentId = 0L;
        if (pos < end) {
            if (b3.charAt(pos) != '-') {
                return null;
            }
            pos++;
            int remaining = end - pos;
            int parentStart;
            if (remaining == 1 || remaining == 1 + 1 + 16) {
                char state = b3.charAt(pos);
                if (state == '1') {
                    sampled = Boolean.TRUE;
                }
                else if (state == '0') {
                    sampled = Boolean.FALSE;
                }
                else if (state == 'd') {
                    sampled = Boolean.TRUE;
                    debug = true;
                }
                else {
                    return null;
                }
                if (remaining == 1) {
                    return SpanContext.remote(high, low, 0L, spanId, sampled, debug);
                }
                if (b3.charAt(pos + 1) != '-') {
                    return null;
                }
                parentStart = pos + 2;
            }
            else if (remaining == 16) {
                parentStart = pos; // a parent id without a sampling state
            }
            else {
                return null;
            }
            if (!HexCodec.isLowerHex(b3, parentStart, end)) {
                return null;
            }
            parentId = HexCodec.parseHex64(b3, parentStart, end);
            if (parentId == 0L) {
                return null;
            }
        }
        // remote(..) returns null for an all-zero trace id or span id
        return SpanContext.remote(high, low, parentId, spanId, sampled, debug);
    }

    /** Returns a sampling-only context for {@code 1}, {@code 0} or {@code d}, else null. */
    private static SpanContext parseSamplingState(char state) {
        if (state == '1') {
            return SpanContext.samplingFlagsOnly(Boolean.TRUE, false);
        }
        if (state == '0') {
            return SpanContext.samplingFlagsOnly(Boolean.FALSE, false);
        }
        if (state == 'd') {
            return SpanContext.samplingFlagsOnly(Boolean.TRUE, true);
        }
        return null;
    }
}
