package dev.tracing.actuate;

import java.util.List;

import dev.tracing.core.ThreadLocalCurrentTraceContext;
import dev.tracing.core.TraceTracer;
import dev.tracing.export.InMemorySpanStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.tracing.Tracer;

/**
 * What shows the tracer's health over time, bound to every {@code MeterRegistry} Spring Boot
 * configures: {@code trace.spans.started} (sampled spans), {@code trace.spans.open} (started,
 * not yet ended), {@code trace.context.threads} (live platform threads with a current trace
 * context now; virtual threads are not tracked), {@code trace.memory.spans} (spans the in-memory
 * store holds), {@code trace.memory.spans.dropped} (spans it did not keep: {@code reason=trace_full} for a trace
 * already at its limit, {@code rate_limited} for a new trace over the new traces per second) and
 * {@code trace.memory.spans.evicted} (spans it held and evicted for newer ones). Once the application
 * is idle, open spans and threads with a context are zero; above zero they point at a leak.
 */
public final class TracerMetrics implements MeterBinder {

    private final Tracer tracer;

    private final InMemorySpanStore store;

    /**
     * Creates the binder.
     * @param tracer the tracer; its span counts are bound when it is this project's
     * @param store the in-memory store, or null when it is off
     */
    public TracerMetrics(Tracer tracer, InMemorySpanStore store) {
        this.tracer = tracer;
        this.store = store;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        if (tracer instanceof TraceTracer ours) {
            FunctionCounter.builder("trace.spans.started", ours, TraceTracer::startedSpanCount)
                .description("Recorded spans started (sampled, or waiting for a keep decision)")
                .register(registry);
            Gauge.builder("trace.spans.open", ours, TraceTracer::openSpanCount)
                .description("Recorded spans started and not yet ended")
                .register(registry);
            FunctionCounter.builder("trace.sampling.kept", ours, TraceTracer::keptTraceCount)
                .description("Traces the sampler did not choose that were kept for an error or for being slow")
                .register(registry);
            FunctionCounter.builder("trace.sampling.keep.traces.limited", ours, TraceTracer::keepLimitedTraceCount)
                .description("Traces that failed or were slow but were not kept: over trace.sampling.keep.rate-limit")
                .register(registry);
            Gauge.builder("trace.sampling.keep.spans.pending", ours, TraceTracer::pendingSpanCount)
                .description("Ended spans of unsampled traces waiting for their local root's keep decision")
                .register(registry);
            FunctionCounter.builder("trace.sampling.keep.spans.dropped", ours, TraceTracer::keepDroppedSpanCount)
                .description("Spans of unsampled traces dropped while waiting: over the per-trace or total bound, "
                        + "or of a trace that waited over a minute for its root when the total ran out")
                .register(registry);
        }
        Gauge.builder("trace.context.threads", () -> ThreadLocalCurrentTraceContext.threadsWithAContext().size())
            .description("Live threads that have a current trace context now")
            .register(registry);
        if (store != null) {
            Gauge.builder("trace.memory.spans", store, InMemorySpanStore::spanCount)
                .description("Spans held by the in-memory store")
                .register(registry);
            for (String reason : List.of(InMemorySpanStore.TRACE_FULL, InMemorySpanStore.RATE_LIMITED)) {
                FunctionCounter.builder("trace.memory.spans.dropped", store, s -> s.droppedCount(reason))
                    .description("Spans the in-memory store did not keep, by reason")
                    .tag("reason", reason)
                    .register(registry);
            }
            FunctionCounter.builder("trace.memory.spans.evicted", store, InMemorySpanStore::evictedCount)
                .description("Spans the in-memory store held and evicted, with their trace, for newer ones")
                .register(registry);
        }
    }

}
