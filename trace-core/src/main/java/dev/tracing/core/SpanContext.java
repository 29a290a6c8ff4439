package dev.tracing.core;

import dev.tracing.internal.HexCodec;
import io.micrometer.tracing.TraceContext;

/**
 * The identity of a span: 128-bit (or 64-bit) trace id, 64-bit span and parent ids, the sampling
 * decision, the W3C {@code tracestate} received from upstream and the span's baggage.
 *
 * <p>Design notes: ids are kept as longs and rendered to hex only when asked for (and then
 * cached), so spans that are never logged or propagated never allocate id strings. Equality is
 * the trace id and span id, as Micrometer's observation code compares contexts returned at
 * different times for the same span.
 *
 * <p>A trace id whose high 64 bits are zero is a 64-bit id, as in Brave: {@link #traceId()} is
 * then 16 hex characters, so the id is logged, exported and propagated in B3 the way the 64-bit
 * caller (Sleuth, an old Brave) logs it, and a search for it across services finds every line.
 * Formats that need 128 bits (W3C {@code traceparent}, OTLP) pad it with zeros. The width needs
 * no field of its own: ids generated here are random and never zero, so a trace started here is
 * always 128-bit, while a random 128-bit id has a zero high half once in 2^64. The trade-off is
 * that a 32-character id received with sixteen leading zeros (a 64-bit id padded by its sender)
 * is logged as its 16 significant characters, as Brave logs it, not as it arrived.
 *
 * <p>A context with all ids zero carries only a sampling decision ({@link #isSamplingFlagsOnly()}),
 * as a bare {@code b3: 0} header does: the span started from it is a new root that obeys it.
 */
public final class SpanContext implements TraceContext {

    static final int FLAG_SAMPLED_SET = 1;

    static final int FLAG_SAMPLED = 2;

    static final int FLAG_DEBUG = 4;

    static final int FLAG_REMOTE = 8;

    /** W3C trace context level 2's random trace id flag, as received: passed on with the trace id. */
    static final int FLAG_RANDOM_TRACE_ID = 16;

    private final long traceIdHigh;

    private final long traceIdLow;

    private final long parentId;

    private final long spanId;

    private final int flags;

    private final String traceState;

    private volatile BaggageFields baggage;

    /**
     * The span's record while it is in progress here; null for remote, unsampled or ended spans
     * (cleared on end, so a context kept in a link or a log does not keep the span's data alive).
     */
    RecordedSpan record;

    /**
     * The local trace this span's record waits with for a keep decision, inherited by local
     * children; null when the trace was sampled or nothing is kept.
     */
    PendingTrace pending;

    /**
     * The start of this span's local root (or of the first span started above it), which this span's
     * start and events are timed from by the monotonic clock, inherited by local children; set when a
     * span that has none starts. Kept when the span ends (a child may start after its parent ended).
     * Immutable, so a thread that reads it unsynchronized sees all of it or null (and reads the clock).
     */
    TraceClock.Anchor anchor;

    private String traceIdString;

    private String spanIdString;

    private String parentIdString;

    private SpanContext(long traceIdHigh, long traceIdLow, long parentId, long spanId, int flags, String traceState,
            BaggageFields baggage) {
        this.traceIdHigh = traceIdHigh;
        this.traceIdLow = traceIdLow;
        this.parentId = parentId;
        this.spanId = spanId;
        this.flags = flags;
        this.traceState = traceState;
        this.baggage = baggage;
    }

    /**
     * Returns a context with the given ids. {@code sampled} null means no decision was made yet.
     * Returns null when the trace id or span id is zero (all-zero ids are invalid everywhere).
     */
    public static SpanContext create(long traceIdHigh, long traceIdLow, long parentId, long spanId, Boolean sampled,
            boolean debug) {
        if ((traceIdHigh == 0L && traceIdLow == 0L) || spanId == 0L) {
            return null;
        }
        return new SpanContext(traceIdHigh, traceIdLow, parentId, spanId, flags(sampled, debug), null, null);
    }

    /** Returns a context received from another process: the span started from it is its child. */
    public static SpanContext remote(long traceIdHigh, long traceIdLow, long parentId, long spanId, Boolean sampled,
            boolean debug) {
        return remote(traceIdHigh, traceIdLow, parentId, spanId, sampled, debug, false);
    }

    /**
     * Returns a context received from another process, saying whether its sender marked the trace id
     * random (W3C trace context level 2's flag), which the trace's {@code traceparent} headers then
     * carry on.
     */
    public static SpanContext remote(long traceIdHigh, long traceIdLow, long parentId, long spanId, Boolean sampled,
            boolean debug, boolean randomTraceId) {
        if ((traceIdHigh == 0L && traceIdLow == 0L) || spanId == 0L) {
            return null;
        }
        return new SpanContext(traceIdHigh, traceIdLow, parentId, spanId,
                flags(sampled, debug) | FLAG_REMOTE | (randomTraceId ? FLAG_RANDOM_TRACE_ID : 0), null, null);
    }

    /**
     * A new local trace context that is not sampled and records nothing: made current where nothing
     * may be traced (a request the skip pattern leaves out), so that the spans started inside it are
     * not recorded either, instead of each starting a trace of its own. Its children are not sampled,
     * whatever the sampler and the keep policy say (they have no local root to wait for).
     */
    public static SpanContext notSampled() {
        return create(IdGenerator.nextId(), IdGenerator.nextId(), 0L, IdGenerator.nextId(), false, false);
    }

    /** Returns a context that carries only a sampling decision, no ids. */
    public static SpanContext samplingFlagsOnly(Boolean sampled, boolean debug) {
        return new SpanContext(0L, 0L, 0L, 0L, flags(sampled, debug) | FLAG_REMOTE, null, null);
    }

    private static int flags(Boolean sampled, boolean debug) {
        int flags = 0;
        if (debug) {
            flags = FLAG_SAMPLED_SET | FLAG_SAMPLED | FLAG_DEBUG;
        }
        else if (sampled != null) {
            flags = FLAG_SAMPLED_SET | (sampled ? FLAG_SAMPLED : 0);
        }
        return flags;
    }

    /**
     * Converts any {@link TraceContext} (ours, another tracer's, a builder's) into a context of
     * this tracer, or returns null when its ids are not valid hex.
     */
    public static SpanContext from(TraceContext context) {
        if (context == null || context instanceof SpanContext) {
            return (SpanContext) context;
        }
        String traceId = context.traceId();
        String spanId = context.spanId();
        if (traceId == null || spanId == null) {
            return null;
        }
        int traceLength = traceId.length();
        if ((traceLength != 16 && traceLength != 32) || spanId.length() != 16
                || !HexCodec.isLowerHex(traceId, 0, traceLength) || !HexCodec.isLowerHex(spanId, 0, 16)) {
            return null;
        }
        long high = traceLength == 32 ? HexCodec.parseHex64(traceId, 0, 16) : 0L;
        long low = HexCodec.parseHex64(traceId, traceLength - 16, traceLength);
        String parent = context.parentId();
        long parentId = parent != null && parent.length() == 16 && HexCodec.isLowerHex(parent, 0, 16)
                ? HexCodec.parseHex64(parent, 0, 16) : 0L;
        return create(high, low, parentId, HexCodec.parseHex64(spanId, 0, 16), context.sampled(), false);
    }

    /** Returns the high 64 bits of the trace id: zero for a 64-bit trace id. */
    public long traceIdHigh() {
        return traceIdHigh;
    }

    public long traceIdLow() {
        return traceIdLow;
    }

    public long parentIdAsLong() {
        return parentId;
    }

    public long spanIdAsLong() {
        return spanId;
    }

    /**
     * Returns the trace id as lower-case hex: 16 characters for a 64-bit id (high half zero), else
     * 32; null when this context carries only a sampling decision.
     */
    @Override
    public String traceId() {
        String s = traceIdString;
        if (s == null) {
            if (isSamplingFlagsOnly()) {
                return null;
            }
            s = traceIdHigh == 0L ? HexCodec.toHex64(traceIdLow) : HexCodec.toHex128(traceIdHigh, traceIdLow);
            traceIdString = s;
        }
        return s;
    }

    @Override
    public String parentId() {
        if (parentId == 0L) {
            return null;
        }
        String s = parentIdString;
        if (s == null) {
            s = HexCodec.toHex64(parentId);
            parentIdString = s;
        }
        return s;
    }

    @Override
    public String spanId() {
        String s = spanIdString;
        if (s == null) {
            if (isSamplingFlagsOnly()) {
                return null;
            }
            s = HexCodec.toHex64(spanId);
            spanIdString = s;
        }
        return s;
    }

    @Override
    public Boolean sampled() {
        return (flags & FLAG_SAMPLED_SET) == 0 ? null : (flags & FLAG_SAMPLED) != 0;
    }

    /** Returns true when the sampling decision is {@code true}. */
    public boolean isSampled() {
        return (flags & FLAG_SAMPLED) != 0;
    }

    /**
     * Returns true while the span of this context records here: started by this tracer, sampled
     * (or waiting for a keep decision), and not yet ended.
     */
    public boolean isRecording() {
        return record != null;
    }

    /** Returns true when the upstream asked to record this trace whatever the sampler says. */
    public boolean isDebug() {
        return (flags & FLAG_DEBUG) != 0;
    }

    /** Returns true when this context was extracted from a carrier rather than created here. */
    public boolean isRemote() {
        return (flags & FLAG_REMOTE) != 0;
    }

    /**
     * Returns true when the trace arrived marked as having a random trace id (W3C trace context level
     * 2's flag): the {@code traceparent} headers written for it carry the flag on, as the spec asks.
     * Traces started here do not set it.
     */
    public boolean isRandomTraceId() {
        return (flags & FLAG_RANDOM_TRACE_ID) != 0;
    }

    /** Returns true when the trace id is 64-bit (its high half is zero), as old B3 callers send. */
    public boolean isTraceId64Bit() {
        return traceIdHigh == 0L;
    }

    /** Returns true when this context has no ids, only a sampling decision. */
    public boolean isSamplingFlagsOnly() {
        return spanId == 0L;
    }

    /** Returns the W3C {@code tracestate} value received from upstream, or null. */
    public String traceState() {
        return traceState;
    }

    /** Returns the baggage of this context, or null when it has none. */
    public BaggageFields baggage() {
        return baggage;
    }

    /**
     * Returns the baggage of this context, creating an empty holder if it has none, so a value
     * can be set on a context that was created without baggage.
     */
    BaggageFields baggageForUpdate() {
        BaggageFields b = baggage;
        if (b == null) {
            synchronized (this) {
                b = baggage;
                if (b == null) {
                    b = BaggageFields.empty();
                    baggage = b;
                }
            }
        }
        return b;
    }

    /** Returns a copy of this context with the given {@code tracestate}. */
    public SpanContext withTraceState(String traceState) {
        SpanContext copy = new SpanContext(traceIdHigh, traceIdLow, parentId, spanId, flags, traceState, baggage);
        copy.record = record;
        copy.pending = pending;
        copy.anchor = anchor;
        copy.shareIds(this);
        return copy;
    }

    /**
     * Returns a copy of this context with the given baggage holder, as a propagator attaches
     * extracted baggage. The copy is the same span (equal, writing to the same record), so it can
     * be made current in place of this one.
     */
    public SpanContext withBaggage(BaggageFields baggage) {
        SpanContext copy = new SpanContext(traceIdHigh, traceIdLow, parentId, spanId, flags, traceState, baggage);
        copy.record = record;
        copy.pending = pending;
        copy.anchor = anchor;
        copy.shareIds(this);
        return copy;
    }

    /** Returns a copy of this context with the given sampling decision. */
    SpanContext withSampled(boolean sampled) {
        int next = (flags & ~(FLAG_SAMPLED | FLAG_DEBUG)) | FLAG_SAMPLED_SET | (sampled ? FLAG_SAMPLED : 0);
        return withFlags(next);
    }

    private SpanContext withFlags(int flags) {
        SpanContext copy = new SpanContext(traceIdHigh, traceIdLow, parentId, spanId, flags, traceState, baggage);
        copy.shareIds(this);
        return copy;
    }

    /** Reuses the hex ids already encoded for {@code same}, a context with the same ids. */
    private void shareIds(SpanContext same) {
        traceIdString = same.traceIdString;
        spanIdString = same.spanIdString;
        parentIdString = same.parentIdString;
    }

    /**
     * Returns a child context: same trace, a new span id, this span as parent, the same
     * sampling decision, {@code tracestate} and a copy of the baggage.
     */
    SpanContext newChild(long childSpanId) {
        int childFlags = flags & ~FLAG_REMOTE;
        BaggageFields b = baggage;
        SpanContext child = new SpanContext(traceIdHigh, traceIdLow, spanId, childSpanId, childFlags, traceState,
                b == null ? null : b.copy());
        // Every span of a trace logs and exports the same trace id: encode it once per trace, not once per span.
        // A local parent needs its own for its MDC scope and its export anyway; a remote one may never be read.
        child.traceIdString = (flags & FLAG_REMOTE) != 0 ? traceIdString : traceId();
        child.parentIdString = spanIdString;
        return child;
    }

    /**
     * Returns a new root context for the given ids, keeping the sampling flags, {@code tracestate}
     * is not kept (it belongs to a trace), baggage is copied (it belongs to the request).
     */
    SpanContext newRoot(long high, long low, long rootSpanId) {
        BaggageFields b = baggage;
        return new SpanContext(high, low, 0L, rootSpanId, flags & ~(FLAG_REMOTE | FLAG_RANDOM_TRACE_ID), null,
                b == null ? null : b.copy());
    }

    @Override
    public boolean equals(Object o) {
        if (o == this) {
            return true;
        }
        if (!(o instanceof SpanContext)) {
            return false;
        }
        SpanContext that = (SpanContext) o;
        return traceIdHigh == that.traceIdHigh && traceIdLow == that.traceIdLow && spanId == that.spanId;
    }

    @Override
    public int hashCode() {
        int h = Long.hashCode(traceIdHigh);
        h = 31 * h + Long.hashCode(traceIdLow);
        return 31 * h + Long.hashCode(spanId);
    }

    @Override
    public String toString() {
        return isSamplingFlagsOnly() ? "SpanContext{sampled=" + sampled() + "}"
                : traceId() + "/" + spanId() + (sampled() == null ? "" : isSampled() ? " sampled" : " unsampled");
    }
}
