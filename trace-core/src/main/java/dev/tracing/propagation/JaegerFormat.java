package dev.tracing.propagation;

import java.util.List;

import dev.tracing.core.SpanContext;
import dev.tracing.internal.HexCodec;
import io.micrometer.tracing.propagation.Propagator;

/**
 * Jaeger's {@code uber-trace-id} header, as Jaeger's clients and OpenTelemetry's
 * {@code JaegerPropagator} write it.
 *
 * <pre>{@code
 * uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}
 * uber-trace-id: 80f198ee56343ba864fe8b2a57d3eff7:e457b5a2e4d86bd1:0:1
 * uber-trace-id: 64fe8b2a57d3eff7%3Ae457b5a2e4d86bd1%3A0%3A3
 * }</pre>
 *
 * <p>Rules applied on extract: the trace id is 1 to 32 lower-case hex characters and the span id
 * 1 to 16, leading zeros left out (Jaeger's clients write them so); an id of up to 16 characters
 * is a 64-bit id. The parent span id is deprecated: it must be 1 to 16 hex characters and is not
 * used. The flags are one or two hex characters: bit 1 sampled, bit 2 debug (which implies
 * sampled); without bit 1 the trace is not sampled. A value without {@code ':'} is URL-encoded,
 * with {@code %3A} (or {@code %3a}) as the separator. Optional whitespace around the value is
 * ignored. All-zero ids and anything else are malformed and yield no context.
 *
 * <p>On inject: the trace id is 32 characters, or 16 for a 64-bit id, the span id 16, the parent
 * {@code 0} (as OpenTelemetry writes it), and the flags {@code 1} sampled, {@code 3} debug, else
 * {@code 0}: the format has no "not decided" state, so an undecided context is written as not
 * sampled, as W3C writes it. A context with only a sampling decision is not written.
 *
 * <p>Design notes: parsing is by index over the value, the URL-encoded form included, without
 * decoding it first, splitting or regex, so a request allocates only the context. Upper-case hex
 * is refused as OpenTelemetry refuses it; its decimal reading of the flags agrees with this hex
 * reading for the single digits senders write. The {@code uberctx-} baggage headers are not read
 * here: which names may cross is the propagator's configuration, so {@link EntryHeaderBaggageFormat}
 * holds them.
 */
final class JaegerFormat implements TraceContextFormat {

    /** The shared instance: this format has no state. */
    public static final JaegerFormat INSTANCE = new JaegerFormat();

    static final String UBER_TRACE_ID = "uber-trace-id";

    private static final List<String> FIELDS = List.of(UBER_TRACE_ID);

    /** traceid128:spanid:0:3 */
    private static final int MAX_WRITE_LENGTH = 32 + 1 + 16 + 1 + 1 + 1 + 1;

    /** traceid128%3Aspanid%3Aparentid%3Aff */
    private static final int MAX_READ_LENGTH = 32 + 3 + 16 + 3 + 16 + 3 + 2;

    private static final int FLAG_SAMPLED = 1;

    private static final int FLAG_DEBUG = 2;

    /** Prefer {@link #INSTANCE}; this format has no state. */
    public JaegerFormat() {
    }

    @Override
    public List<String> fields() {
        return FIELDS;
    }

    /** Writes {@code uber-trace-id} for a context with ids; a sampling decision alone is not written. */
    @Override
    public <C> void inject(SpanContext context, C carrier, Propagator.Setter<C> setter) {
        if (context == null || context.isSamplingFlagsOnly()) {
            return;
        }
        setter.set(carrier, UBER_TRACE_ID, write(context));
    }

    static String write(SpanContext context) {
        char[] out = new char[MAX_WRITE_LENGTH];
        int pos = TraceIds.writeTraceIdAndSpanId(context, ':', out);
        out[pos++] = ':';
        out[pos++] = '0';
        out[pos++] = ':';
        out[pos++] = context.isDebug() ? '3' : context.isSampled() ? '1' : '0';
        return new String(out, 0, pos);
    }

    /** Returns the context in {@code uber-trace-id}, or null when it is absent or malformed. */
    @Override
    public <C> SpanContext extract(C carrier, Propagator.Getter<C> getter) {
        String value = getter.get(carrier, UBER_TRACE_ID);
        return value == null ? null : parse(value);
    }

    /** Parses one {@code uber-trace-id} value, or returns null when it is malformed. Never throws. */
    static SpanContext parse(CharSequence value) {
        int begin = W3cTraceContextFormat.skipOws(value, 0, value.length());
        int end = W3cTraceContextFormat.trimOws(value, begin, value.length());
        if (end - begin < 7 || end - begin > MAX_READ_LENGTH) {
            return null;
        }
        boolean encoded = indexOf(value, ':', begin, end) < 0;
        int separatorLength = encoded ? 3 : 1;

        int traceIdEnd = separator(value, begin, end, encoded);
        if (traceIdEnd < 0 || !isHexId(value, begin, traceIdEnd, 32)) {
            return null;
        }
        int spanIdStart = traceIdEnd + separatorLength;
        int spanIdEnd = separator(value, spanIdStart, end, encoded);
        if (spanIdEnd < 0 || !isHexId(value, spanIdStart, spanIdEnd, 16)) {
            return null;
        }
        int parentStart = spanIdEnd + separatorLength;
        int parentEnd = separator(value, parentStart, end, encoded);
        if (parentEnd < 0 || !isHexId(value, parentStart, parentEnd, 16)) {
            return null;
        }
        int flagsStart = parentEnd + separatorLength;
        if (!isHexId(value, flagsStart, end, 2)) {
            return null;
        }
        int flags = (int) HexCodec.parseHex64(value, flagsStart, end);
        boolean debug = (flags & FLAG_DEBUG) != 0;
        boolean sampled = debug || (flags & FLAG_SAMPLED) != 0;

        int lowStart = Math.max(begin, traceIdEnd - 16);
        long high = lowStart > begin ? HexCodec.parseHex64(value, begin, lowStart) : 0L;
        long low = HexCodec.parseHex64(value, lowStart, traceIdEnd);
        long spanId = HexCodec.parseHex64(value, spanIdStart, spanIdEnd);
        // remote(..) returns null for an all-zero trace id or span id
        return SpanContext.remote(high, low, 0L, spanId, sampled, debug);
    }

    /**
     * Returns the index of the next separator in {@code [from, end)}: {@code ':'}, or
     * {@code %3A} when the value is URL-encoded; -1 when there is none.
     */
    private static int separator(CharSequence value, int from, int end, boolean encoded) {
        if (!encoded) {
            return indexOf(value, ':', from, end);
        }
        int percent = indexOf(value, '%', from, end);
        if (percent < 0 || percent + 2 >= end || value.charAt(percent + 1) != '3') {
            return -1;
        }
        char c = value.charAt(percent + 2);
        return c == 'A' || c == 'a' ? percent : -1;
    }

    private static int indexOf(CharSequence s, char c, int from, int end) {
        for (int i = from; i < end; i++) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    /** Returns true when {@code [start, end)} is 1 to {@code maxLength} lower-case hex characters. */
    private static boolean isHexId(CharSequence s, int start, int end, int maxLength) {
        return end - start <= maxLength && HexCodec.isLowerHex(s, start, end);
    }
}
