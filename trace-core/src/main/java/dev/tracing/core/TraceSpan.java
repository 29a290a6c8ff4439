package dev.tracing.core;

import java.util.concurrent.TimeUnit;

import io.micrometer.tracing.Span;

/**
 * A span of this tracer: its context plus, when sampled, the record it writes to.
 *
 * <p>Design notes: the span object is a thin view; while the span is open its record also hangs
 * off the context, so {@code tracer.currentSpan()} returns a view that writes to the same record
 * as the span that was put in scope. Ending the span detaches the record from the context (a
 * context kept in a link or a log must not keep the span's data alive), while span objects
 * keep theirs, so they still report {@code isNoop() == false} and ignore late writes. An unsampled span has no record: every write is a no-op, and it reports
 * {@link #isNoop()} true, but its context still propagates {@code sampled=0} downstream.
 * Equality follows the context.
 */
final class TraceSpan implements Span {

    private final TraceTracer tracer;

    private final SpanContext context;

    private final RecordedSpan record;

    TraceSpan(TraceTracer tracer, SpanContext context) {
        this.tracer = tracer;
        this.context = context;
        this.record = context.record;
    }

    private RecordedSpan record() {
        return record;
    }

    @Override
    public boolean isNoop() {
        return record == null;
    }

    @Override
    public SpanContext context() {
        return context;
    }

    @Override
    public Span start() {
        RecordedSpan record = record();
        if (record != null) {
            TraceClock clock = tracer.clock();
            long nanoTime = clock.nanoTime();
            TraceClock.Anchor anchor = context.anchor;
            long epochMicros = anchor != null ? anchor.epochMicrosAt(nanoTime) : clock.epochMicros(nanoTime);
            if (record.start(epochMicros, nanoTime)) {
                if (anchor == null) {
                    // its local children, and its own events, are timed from its start
                    context.anchor = new TraceClock.Anchor(epochMicros, nanoTime);
                }
                tracer.spanStarted(record);
            }
        }
        return this;
    }

    @Override
    public Span name(String name) {
        RecordedSpan record = record();
        if (record != null) {
            record.name(name);
        }
        return this;
    }

    @Override
    public Span event(String value) {
        RecordedSpan record = record();
        if (record != null) {
            TraceClock clock = tracer.clock();
            TraceClock.Anchor anchor = context.anchor;
            long nanoTime = clock.nanoTime();
            record.event(anchor != null ? anchor.epochMicrosAt(nanoTime) : clock.epochMicros(nanoTime), value);
        }
        return this;
    }

    @Override
    public Span event(String value, long time, TimeUnit timeUnit) {
        RecordedSpan record = record();
        if (record != null) {
            record.event(timeUnit.toMicros(time), value);
        }
        return this;
    }

    @Override
    public Span tag(String key, String value) {
        RecordedSpan record = record();
        if (record != null) {
            record.tag(key, value);
        }
        return this;
    }

    @Override
    public Span error(Throwable throwable) {
        RecordedSpan record = record();
        if (record != null) {
            record.error(throwable);
        }
        return this;
    }

    @Override
    public void end() {
        tracer.end(context, record, 0L);
    }

    @Override
    public void end(long time, TimeUnit timeUnit) {
        tracer.end(context, record, Math.max(1L, timeUnit.toMicros(time)));
    }

    @Override
    public void abandon() {
        RecordedSpan record = record();
        if (record != null && record.abandon()) {
            context.record = null;
            if (record.wasStarted()) {
                tracer.spanClosed(record);
            }
            if (record.sampledHere) {
                tracer.sampledSpanAbandoned(context, record.sampler);
            }
            if (record.pending != null && record.pending.root == record) {
                record.pending.rootAbandoned();
            }
        }
    }

    @Override
    public Span remoteServiceName(String remoteServiceName) {
        RecordedSpan record = record();
        if (record != null) {
            record.remoteServiceName(remoteServiceName);
        }
        return this;
    }

    @Override
    public Span remoteIpAndPort(String ip, int port) {
        RecordedSpan record = record();
        if (record != null) {
            record.remoteIpAndPort(ip, port);
        }
        return this;
    }

    @Override
    public boolean equals(Object o) {
        return o == this || (o instanceof TraceSpan && context.equals(((TraceSpan) o).context));
    }

    @Override
    public int hashCode() {
        return context.hashCode();
    }

    @Override
    public String toString() {
        return "TraceSpan{" + context + "}";
    }
}
