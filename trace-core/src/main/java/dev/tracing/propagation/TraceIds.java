package dev.tracing.propagation;

import dev.tracing.core.SpanContext;
import dev.tracing.internal.HexCodec;

/** Writes the ids of a context as the single-header formats (B3, Jaeger) carry them. */
final class TraceIds {

    private TraceIds() {
    }

    /**
     * Writes the trace id (16 hex characters for a 64-bit one, else 32), {@code separator} and the
     * span id into {@code out} from index 0; returns the index after the span id.
     */
    static int writeTraceIdAndSpanId(SpanContext context, char separator, char[] out) {
        int pos = 0;
        long high = context.traceIdHigh();
        if (high != 0L) {
            HexCodec.writeHex64(high, out, pos);
            pos += 16;
        }
        HexCodec.writeHex64(context.traceIdLow(), out, pos);
        pos += 16;
        out[pos++] = separator;
        HexCodec.writeHex64(context.spanIdAsLong(), out, pos);
        return pos + 16;
    }

}
