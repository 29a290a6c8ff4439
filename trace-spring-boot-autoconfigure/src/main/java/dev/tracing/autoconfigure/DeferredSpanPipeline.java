package dev.tracing.autoconfigure;

import java.util.ArrayDeque;
import java.util.function.Supplier;

import dev.tracing.export.SpanPipeline;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * Where the tracer's finished spans go: the {@link SpanPipeline}, resolved once every singleton
 * of the context is made. Spans that end before (work done while beans are made) are held, up to
 * a bound, and handed on in order when the pipeline starts.
 *
 * <p>Design notes: the tracer must not need the reporters and exporters to exist, because an
 * application's exporter may send with a client the starter traces (a {@code RestClient.Builder},
 * a {@code WebClient.Builder}, a {@code KafkaTemplate}), and that client needs the tracer: made
 * eagerly, the pipeline closed a circular reference. Spring Boot's own tracing avoids the same
 * loop by configuring its observation registry late. Once started, a span costs one volatile
 * read more than a direct call.
 */
final class DeferredSpanPipeline implements SmartInitializingSingleton {

    private static final Logger logger = LoggerFactory.getLogger(DeferredSpanPipeline.class);

    private final Supplier<SpanPipeline> pipelineSupplier;

    private final int maxHeld;

    private final Object lock = new Object();

    private volatile SpanPipeline pipeline;

    // guarded by lock, null once started
    private ArrayDeque<FinishedSpan> held = new ArrayDeque<>();

    private long dropped;

    DeferredSpanPipeline(Supplier<SpanPipeline> pipelineSupplier, int maxHeld) {
        this.pipelineSupplier = pipelineSupplier;
        this.maxHeld = maxHeld;
    }

    /** Hands {@code span} to the pipeline, or holds it until the pipeline starts. */
    void report(FinishedSpan span) {
        SpanPipeline started = this.pipeline;
        if (started == null) {
            synchronized (this.lock) {
                started = this.pipeline;
                if (started == null) {
                    hold(span);
                    return;
                }
            }
        }
        started.report(span);
    }

    private void hold(FinishedSpan span) {
        if (this.held.size() < this.maxHeld) {
            this.held.add(span);
        }
        else {
            this.dropped++;
        }
    }

    @Override
    public void afterSingletonsInstantiated() {
        start(this.pipelineSupplier.get());
    }

    /** Starts handing spans to {@code started}, the held ones first. */
    void start(SpanPipeline started) {
        long droppedBefore;
        synchronized (this.lock) {
            if (this.pipeline != null) {
                return;
            }
            // under the lock, so a span ending meanwhile on another thread waits and keeps its place after
            // these; one a stage ends on this thread while it runs is held, and handed on in this loop too
            FinishedSpan span;
            while ((span = this.held.poll()) != null) {
                started.report(span);
            }
            this.held = null;
            this.pipeline = started;
            droppedBefore = this.dropped;
        }
        if (droppedBefore > 0) {
            logger.warn("{} spans that ended while the application context started were dropped: more than "
                    + "trace.export.batch.max-queue-size ({}) ended before the span reporters existed",
                    droppedBefore, this.maxHeld);
        }
    }

}
