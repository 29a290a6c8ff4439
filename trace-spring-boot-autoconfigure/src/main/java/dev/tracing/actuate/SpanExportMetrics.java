package dev.tracing.actuate;

import java.util.Collection;
import java.util.List;

import dev.tracing.export.BatchingSpanReporter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Counters of exported and dropped spans (by exporter, and by reason for drops) and the queue
 * size, bound to every {@code MeterRegistry} Spring Boot configures:
 * {@code trace.export.spans.exported}, {@code trace.export.spans.dropped} and
 * {@code trace.export.queue.size}. The application's background {@code SpanReporter}s count
 * under the same names, with their bean name as the {@code exporter} tag.
 */
public final class SpanExportMetrics implements MeterBinder {

    private static final List<String> REASONS = List.of(BatchingSpanReporter.QUEUE_FULL,
            BatchingSpanReporter.EXPORT_FAILED, BatchingSpanReporter.SHUTDOWN);

    private final BatchingSpanReporter exporters;

    private final Collection<BatchingSpanReporter> backgroundReporters;

    /**
     * Creates the binder.
     * @param exporters the reporter that feeds the exporters, or null when there is none
     * @param backgroundReporters the queues of the application's own reporters
     */
    public SpanExportMetrics(BatchingSpanReporter exporters, Collection<BatchingSpanReporter> backgroundReporters) {
        this.exporters = exporters;
        this.backgroundReporters = List.copyOf(backgroundReporters);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (BatchingSpanReporter spans : backgroundReporters) {
            bindCounters(spans, registry);
        }
        if (exporters == null) {
            return;
        }
        bindCounters(exporters, registry);
        Gauge.builder("trace.export.queue.size", exporters, BatchingSpanReporter::queueSize)
            .description("Spans waiting for export")
            .register(registry);
    }

    private static void bindCounters(BatchingSpanReporter spans, MeterRegistry registry) {
        for (String exporter : spans.exporterNames()) {
            FunctionCounter.builder("trace.export.spans.exported", spans, r -> r.exportedCount(exporter))
                .description("Spans the backend accepted")
                .tag("exporter", exporter)
                .register(registry);
            for (String reason : REASONS) {
                FunctionCounter.builder("trace.export.spans.dropped", spans, r -> r.droppedCount(exporter, reason))
                    .description("Spans not exported, by reason")
                    .tag("exporter", exporter)
                    .tag("reason", reason)
                    .register(registry);
            }
        }
    }

}
