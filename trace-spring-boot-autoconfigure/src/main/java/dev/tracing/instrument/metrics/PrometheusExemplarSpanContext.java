package dev.tracing.instrument.metrics;

import java.util.function.Supplier;

import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.prometheus.metrics.tracer.common.SpanContext;

/**
 * Gives Prometheus exemplars the trace and span id of the span current when a metric is
 * recorded, for sampled spans only.
 *
 * <p>Design notes: the tracer is looked up on first use, since the meter registry that uses this
 * is built before the tracer can be (the tracer's exporters may record metrics). It reads the
 * current context rather than {@code currentSpan()}, which would allocate a span handle on each
 * of the three calls Prometheus makes per recorded value.
 */
public final class PrometheusExemplarSpanContext implements SpanContext {

    private final Supplier<Tracer> tracer;

    private volatile Tracer resolved;

    public PrometheusExemplarSpanContext(Supplier<Tracer> tracer) {
        this.tracer = tracer;
    }

    @Override
    public String getCurrentTraceId() {
        TraceContext context = currentContext();
        return context != null ? context.traceId() : null;
    }

    @Override
    public String getCurrentSpanId() {
        TraceContext context = currentContext();
        return context != null ? context.spanId() : null;
    }

    @Override
    public boolean isCurrentSpanSampled() {
        TraceContext context = currentContext();
        return context != null && Boolean.TRUE.equals(context.sampled());
    }

    @Override
    public void markCurrentSpanAsExemplar() {
        // the span is exported as it is; nothing to mark
    }

    private TraceContext currentContext() {
        Tracer t = resolved;
        if (t == null) {
            t = tracer.get();
            resolved = t;
        }
        return t.currentTraceContext().context();
    }

}
