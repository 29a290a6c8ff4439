package dev.tracing.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import dev.tracing.internal.ExportThread;
import dev.tracing.internal.Failures;
import io.micrometer.tracing.Baggage;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.ScopedSpan;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.SpanCustomizer;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.SpanReporter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This project's implementation of the Micrometer Tracing {@link Tracer}. Create it with
 * {@link Tracing#newBuilder()}.
 *
 * <p>Design notes: the sampling decision is made once, when a root span is created (or a child of
 * a context without a decision), and children inherit it. Only sampled spans get a record;
 * an unsampled span is an id and a flag, so the unsampled path allocates two small objects and
 * never reaches the span pipeline. Ending a span hands its record to the pipeline on the calling
 * thread; the pipeline never throws.
 */
public final class TraceTracer implements Tracer {

    private static final Logger logger = LoggerFactory.getLogger(TraceTracer.class);

    private final CurrentTraceContext currentTraceContext;

    private final Sampler sampler;

    private final SpanReporter reporter;

    private final TraceClock clock;

    private final String serviceName;

    private final Set<String> correlationFields;

    /** The baggage fields the current-context's MDC decorator copies: a value set on the current context is flushed. */
    private final Set<String> mdcFields;

    private final List<String> remoteFields;

    /** The baggage names recorded as span tags ({@code tag-fields}); most often none. */
    private final String[] tagFields;

    /** Whether a decision that arrives with a remote context is kept, or the local sampler decides. */
    private final boolean respectIncoming;

    private final SpanLimits spanLimits;

    private final SpanCustomizer currentSpanCustomizer = new CurrentSpanCustomizer();

    private final LongAdder started = new LongAdder();

    /** Null unless a test kit listens. */
    private final SpanLifecycle spanLifecycle;

    private final LongAdder closed = new LongAdder();

    private final KeepPolicy keep;

    /** Ended spans waiting, in all pending traces, for their local root to decide. */
    private final AtomicInteger pendingSpans = new AtomicInteger();

    private final LongAdder keepDropped = new LongAdder();

    private final LongAdder kept = new LongAdder();

    /** Null when kept traces have no rate limit. */
    private final RateLimitingSampler keepLimiter;

    private final LongAdder keepLimited = new LongAdder();

    /**
     * How long a trace may hold waiting spans for its local root, once room runs out: a root that
     * never ends (or a stream open for minutes) must not keep other traces from being kept.
     */
    static final long MAX_WAIT_NANOS = TimeUnit.MINUTES.toNanos(1);

    /** How often, at most, a full pool of waiting spans looks for traces that waited too long. */
    static final long EXPIRY_SCAN_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Traces holding waiting spans now; each leaves when it is decided. */
    private final Set<PendingTrace> waiting = ConcurrentHashMap.newKeySet();

    /** When, on {@link #clock}'s nano time, a full pool may next look for traces that waited too long. */
    private final AtomicLong nextExpiryScan;

    TraceTracer(CurrentTraceContext currentTraceContext, Sampler sampler, SpanReporter reporter, TraceClock clock,
            String serviceName, List<String> remoteFields, List<String> correlationFields, List<String> tagFields,
            boolean respectIncoming, SpanLimits spanLimits, SpanLifecycle spanLifecycle, KeepPolicy keep) {
        this.spanLifecycle = spanLifecycle;
        this.keep = keep;
        this.keepLimiter = keep.isEnabled() && keep.rateLimit() > 0
                ? new RateLimitingSampler(keep.rateLimit(), clock::nanoTime) : null;
        this.respectIncoming = respectIncoming;
        this.spanLimits = spanLimits;
        this.currentTraceContext = currentTraceContext;
        this.sampler = sampler;
        this.reporter = reporter;
        this.clock = clock;
        this.nextExpiryScan = new AtomicLong(clock.nanoTime());
        this.serviceName = serviceName;
        this.remoteFields = List.copyOf(remoteFields);
        this.correlationFields = Collections.unmodifiableSet(new LinkedHashSet<>(correlationFields));
        this.tagFields = tagFields.toArray(new String[0]);
        this.mdcFields = currentTraceContext instanceof ThreadLocalCurrentTraceContext threadLocal
                ? Set.copyOf(threadLocal.mdcFields()) : Set.of();
    }

    TraceClock clock() {
        return clock;
    }

    void spanStarted(RecordedSpan span) {
        started.increment();
        if (spanLifecycle != null) {
            try {
                spanLifecycle.started(span);
            }
            catch (RuntimeException ex) {
                logger.debug("Span lifecycle listener failed", ex);
            }
        }
    }

    void spanClosed(RecordedSpan span) {
        closed.increment();
        if (spanLifecycle != null) {
            try {
                spanLifecycle.ended(span);
            }
            catch (RuntimeException ex) {
                logger.debug("Span lifecycle listener failed", ex);
            }
        }
    }

    /**
     * {@code sampler}'s decision; one that throws (an application's own) records nothing, and the
     * span still starts: tracing never fails the caller.
     */
    private static boolean sample(Sampler sampler, long traceIdHigh, long traceIdLow) {
        try {
            return sampler.isSampled(traceIdHigh, traceIdLow);
        }
        catch (RuntimeException | LinkageError ex) {
            logger.debug("Sampler failed", ex);
            return false;
        }
    }

    /** A span this tracer's sampler chose to record was abandoned: the sampler may count it as not taken. */
    void sampledSpanAbandoned(SpanContext context, Sampler decidedBy) {
        try {
            (decidedBy != null ? decidedBy : sampler).abandoned(context.traceIdHigh(), context.traceIdLow());
        }
        catch (RuntimeException ex) {
            logger.debug("Sampler failed", ex);
        }
    }

    /** Which traces the sampler did not choose are kept all the same. */
    public KeepPolicy keepPolicy() {
        return keep;
    }

    /** Takes room for one more waiting span; false when all pending traces together hold their maximum. */
    boolean tryReservePendingSpan() {
        int max = keep.maxPendingSpans();
        while (true) {
            int now = pendingSpans.get();
            if (now >= max) {
                return false;
            }
            if (pendingSpans.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    /**
     * Takes room for one more waiting span once room has run out: first drops the traces that waited
     * longer than {@link #MAX_WAIT_NANOS} for their root, at most once per {@link #EXPIRY_SCAN_NANOS}
     * (a scan visits every waiting trace, and a full pool would otherwise pay it on every ended span).
     * Takes the expired traces' locks: the caller holds none. A span that finds the pool full while
     * another thread scans gets no room, though the scan may be about to free some: it is dropped and
     * counted, as over the bound.
     */
    boolean reservePendingSpanAfterExpiring() {
        long now = clock.nanoTime();
        long next = nextExpiryScan.get();
        if (now - next >= 0 && nextExpiryScan.compareAndSet(next, now + EXPIRY_SCAN_NANOS)) {
            for (PendingTrace trace : waiting) {
                if (now - trace.createdNanos > MAX_WAIT_NANOS) {
                    trace.expire();
                }
            }
        }
        return tryReservePendingSpan();
    }

    /** A trace holds waiting spans: remembered so that, when room runs out, old ones can be expired. */
    void waiting(PendingTrace trace) {
        waiting.add(trace);
    }

    /** A trace that held waiting spans was decided. */
    void decided(PendingTrace trace) {
        waiting.remove(trace);
    }

    /** Traces holding waiting spans now. */
    int waitingTraceCount() {
        return waiting.size();
    }

    void releasePendingSpans(int count) {
        pendingSpans.addAndGet(-count);
    }

    void keepDropped(int count) {
        keepDropped.add(count);
    }

    void traceKept() {
        kept.increment();
    }

    /** Whether one more trace may be kept within {@link KeepPolicy#rateLimit()}; counts the one that may not. */
    boolean mayKeep() {
        if (keepLimiter == null || keepLimiter.isSampled(0L, 0L)) {
            return true;
        }
        keepLimited.increment();
        return false;
    }

    /**
     * Spans of unsampled traces that were dropped while waiting for a keep decision, because
     * their trace or all pending traces held their maximum, or because their trace waited longer
     * than {@link #MAX_WAIT_NANOS} for its root while room ran out (those that waited, and those
     * that end after, the root included).
     */
    public long keepDroppedSpanCount() {
        return keepDropped.sum();
    }

    /** Traces the sampler did not choose that were kept, for an error or for being slow. */
    public long keptTraceCount() {
        return kept.sum();
    }

    /** Traces that failed or were slow but were not kept: over {@link KeepPolicy#rateLimit()}. */
    public long keepLimitedTraceCount() {
        return keepLimited.sum();
    }

    /** Ended spans now waiting for their local root's keep decision. */
    public int pendingSpanCount() {
        return pendingSpans.get();
    }

    /** Recorded spans started so far (sampled, or waiting for a keep decision). */
    public long startedSpanCount() {
        return started.sum();
    }

    /**
     * Sampled spans started and not yet ended or abandoned: after the application has gone idle, a
     * figure above zero means spans were left open.
     */
    public long openSpanCount() {
        // read closed first: a span closed between the two reads then cannot make the figure negative
        long closedSpans = closed.sum();
        return started.sum() - closedSpans;
    }

    /** Returns the service name recorded on every span. */
    public String serviceName() {
        return serviceName;
    }

    @Override
    public Span nextSpan() {
        return newSpan(SpanContext.from(currentTraceContext.context()));
    }

    @Override
    public Span nextSpan(Span parent) {
        if (parent == null) {
            // Micrometer's contract, as the Brave and OpenTelemetry bridges read it: no parent given is nextSpan()
            return nextSpan();
        }
        // the current context when it is the parent's: it carries the values of open baggage scopes
        return newSpan(resolve(parent.context()));
    }

    TraceSpan newSpan(SpanContext parent) {
        return newSpan(parent, null, null);
    }

    /**
     * Starts a span under {@code parent}. When this tracer decides (a new root, or a remote
     * parent whose decision is not respected), {@code rootSampler} decides in place of the
     * tracer's sampler, and a sampled local root remembers {@code rootSamplerName} as why.
     */
    TraceSpan newSpan(SpanContext parent, Sampler rootSampler, String rootSamplerName) {
        if (parent == null && ExportThread.isCurrent()) {
            // what an exporter does to send spans is not traced: its spans would be exported in turn, forever
            return new TraceSpan(this, SpanContext.create(IdGenerator.nextId(), IdGenerator.nextId(), 0L,
                    IdGenerator.nextId(), false, false));
        }
        Sampler sampler = rootSampler != null ? rootSampler : this.sampler;
        SpanContext context;
        boolean decidedHere;
        if (parent == null || parent.isSamplingFlagsOnly()) {
            long high = IdGenerator.nextId();
            long low = IdGenerator.nextId();
            long spanId = IdGenerator.nextId();
            Boolean upstream = parent == null || !respectIncoming ? null : parent.sampled();
            decidedHere = upstream == null;
            boolean sampled = upstream != null ? upstream : sample(sampler, high, low);
            if (parent == null) {
                context = SpanContext.create(high, low, 0L, spanId, sampled, false);
            }
            else if (parent.isDebug() && respectIncoming) {
                context = parent.newRoot(high, low, spanId); // keeps the debug flag, which implies sampled
            }
            else {
                context = parent.newRoot(high, low, spanId).withSampled(sampled);
            }
        }
        else {
            context = parent.newChild(IdGenerator.nextId());
            decidedHere = context.sampled() == null || (!respectIncoming && parent.isRemote());
            if (decidedHere) {
                // a caller's decision is only a request here when this service decides for itself
                context = context.withSampled(sample(sampler, context.traceIdHigh(), context.traceIdLow()));
            }
        }
        boolean localRoot = parent == null || parent.isSamplingFlagsOnly() || parent.isRemote();
        if (!localRoot) {
            context.anchor = parent.anchor;
        }
        if (context.isSampled()) {
            RecordedSpan record = new RecordedSpan(context, serviceName, spanLimits);
            record.sampledHere = decidedHere;
            record.sampler = sampler;
            if (localRoot) {
                record.sampledBy = !decidedHere ? RecordedSpan.SAMPLED_BY_INCOMING
                        : rootSamplerName != null ? rootSamplerName : RecordedSpan.SAMPLED_BY_DEFAULT;
            }
            context.record = record;
        }
        else if (keep.isEnabled()) {
            recordPending(parent, context, localRoot);
        }
        return new TraceSpan(this, context);
    }

    /**
     * Records an unsampled span in case its local trace is kept: a local root starts a pending
     * trace, a local child joins its parent's.
     */
    private void recordPending(SpanContext parent, SpanContext context, boolean localRoot) {
        PendingTrace pending = localRoot ? new PendingTrace(this) : parent.pending;
        if (pending == null) {
            return;
        }
        RecordedSpan record = new RecordedSpan(context, serviceName, spanLimits);
        record.pending = pending;
        if (localRoot) {
            pending.root = record;
        }
        context.pending = pending;
        context.record = record;
    }

    void end(SpanContext context, RecordedSpan record, long explicitEndMicros) {
        if (record == null) {
            return;
        }
        if (tagFields.length != 0) {
            tagBaggage(context, record);
        }
        if (!record.finish(explicitEndMicros, clock)) {
            return;
        }
        context.record = null;
        if (record.wasStarted()) {
            spanClosed(record);
        }
        if (record.pending != null) {
            record.pending.ended(record);
        }
        else {
            report(record);
        }
    }

    private boolean isTagField(String name) {
        for (String field : tagFields) {
            if (field.equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** Records the values {@code context} carries of the tag fields as tags of the span ending (not if it ended). */
    private void tagBaggage(SpanContext context, RecordedSpan record) {
        BaggageFields fields = context.baggage();
        if (fields == null) {
            return;
        }
        for (String name : tagFields) {
            String value = fields.get(name);
            if (value != null) {
                record.tag(name, value);
            }
        }
    }

    void report(RecordedSpan record) {
        try {
            reporter.report(record);
        }
        catch (Throwable ex) {
            // the pipeline catches its own stages' failures; this guards a user-supplied reporter (an
            // AssertionError too: it reaches neither the code that ended the span nor a kept trace's other spans)
            Failures.rethrowIfFatal(ex);
            logger.debug("Span reporter failed", ex);
        }
    }

    @Override
    public SpanInScope withSpan(Span span) {
        CurrentTraceContext.Scope scope = currentTraceContext.newScope(span == null ? null : span.context());
        return scope::close;
    }

    @Override
    public ScopedSpan startScopedSpan(String name) {
        TraceSpan span = (TraceSpan) nextSpan().name(name).start();
        return new TraceScopedSpan(span, currentTraceContext.newScope(span.context()));
    }

    @Override
    public Span.Builder spanBuilder() {
        return new TraceSpanBuilder(this);
    }

    @Override
    public TraceContext.Builder traceContextBuilder() {
        return new SpanContextBuilder();
    }

    @Override
    public CurrentTraceContext currentTraceContext() {
        return currentTraceContext;
    }

    @Override
    public SpanCustomizer currentSpanCustomizer() {
        return currentSpanCustomizer;
    }

    @Override
    public Span currentSpan() {
        SpanContext context = SpanContext.from(currentTraceContext.context());
        return context == null ? null : new TraceSpan(this, context);
    }

    @Override
    public Map<String, String> getAllBaggage() {
        return getAllBaggage(currentTraceContext.context());
    }

    /**
     * Returns {@code traceContext} as ours; when it is the current span, the current context,
     * which carries the values of open baggage scopes.
     */
    SpanContext resolve(TraceContext traceContext) {
        return resolve(currentTraceContext, traceContext);
    }

    /** {@link #resolve(TraceContext)} against {@code currentTraceContext}. */
    static SpanContext resolve(CurrentTraceContext currentTraceContext, TraceContext traceContext) {
        SpanContext context = SpanContext.from(traceContext);
        if (context != null) {
            TraceContext current = currentTraceContext.context();
            if (current != context && current instanceof SpanContext && current.equals(context)) {
                return (SpanContext) current;
            }
        }
        return context;
    }

    /** All baggage of {@code traceContext}; of the current context when it is null, as the API says. */
    @Override
    public Map<String, String> getAllBaggage(TraceContext traceContext) {
        SpanContext context = traceContext == null ? SpanContext.from(currentTraceContext.context())
                : resolve(traceContext);
        BaggageFields fields = context == null ? null : context.baggage();
        return fields == null ? Collections.emptyMap() : fields.asMap();
    }

    @Override
    public Baggage getBaggage(String name) {
        return new TraceBaggage(name, currentTraceContext, mdcFields.contains(name), isTagField(name));
    }

    @Override
    public Baggage getBaggage(TraceContext traceContext, String name) {
        SpanContext bound = traceContext == null ? null : resolve(traceContext);
        if (bound == null) {
            // a context this tracer cannot read (TraceContext.NOOP, Span.NOOP's) has no baggage: not the current span's
            return Baggage.NOOP;
        }
        return new TraceBaggage(name, currentTraceContext, mdcFields.contains(name), isTagField(name), bound);
    }

    @Override
    public Baggage createBaggage(String name) {
        return new TraceBaggage(name, currentTraceContext, mdcFields.contains(name), isTagField(name));
    }

    @Override
    public Baggage createBaggage(String name, String value) {
        return createBaggage(name).set(value);
    }

    @Override
    public List<String> getBaggageFields() {
        List<String> fields = new ArrayList<>(remoteFields);
        for (String field : correlationFields) {
            if (!fields.contains(field)) {
                fields.add(field);
            }
        }
        return fields;
    }

    @Override
    public String toString() {
        return "TraceTracer{serviceName=" + serviceName + ", sampler=" + sampler + "}";
    }

    /** Writes to whatever span is current at the time of each call. */
    private final class CurrentSpanCustomizer implements SpanCustomizer {

        @Override
        public SpanCustomizer name(String name) {
            Span span = currentSpan();
            if (span != null) {
                span.name(name);
            }
            return this;
        }

        @Override
        public SpanCustomizer tag(String key, String value) {
            Span span = currentSpan();
            if (span != null) {
                span.tag(key, value);
            }
            return this;
        }

        @Override
        public SpanCustomizer event(String value) {
            Span span = currentSpan();
            if (span != null) {
                span.event(value);
            }
            return this;
        }
    }
}
