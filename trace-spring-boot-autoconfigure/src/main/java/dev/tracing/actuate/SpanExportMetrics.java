package dev.tracing.actuate;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

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
 * under the same names, with their bean name as the {@code exporter} tag (numbered, {@code -2},
 * where an exporter or another reporter has that name).
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

    /**
     * Binds the exporters' counters first, then the application's reporters'. A reporter whose bean
     * name is an exporter's ({@code logging}, {@code zipkin}) or another reporter's is counted as
     * {@code <name>-2}: Micrometer keeps the first meter of a name and tags, so its counts would
     * otherwise be lost.
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Set<String> tagged = new HashSet<>();
        if (exporters != null) {
            bindCounters(exporters, registry, tagged);
            Gauge.builder("trace.export.queue.size", exporters, BatchingSpanReporter::queueSize)
                .description("Spans waiting for export")
                .register(registry);
        }
        for (BatchingSpanReporter spans : backgroundReporters) {
            bindCounters(spans, registry, tagged);
        }
    }

    private static void bindCounters(BatchingSpanReporter spans, MeterRegistry registry, Set<String> tagged) {
        for (String exporter : spans.exporterNames()) {
            String tag = exporter;
            for (int n = 2; !tagged.add(tag); n++) {
                tag = exporter + "-" + n;
            }
            FunctionCounter.builder("trace.export.spans.exported", spans, r -> r.exportedCount(exporter))
                .description("Spans the backend accepted")
                .tag("exporter", tag)
                .register(registry);
            for (String reason : REASONS) {
                FunctionCounter.builder("trace.export.spans.dropped", spans, r -> r.droppedCount(exporter, reason))
                    .description("Spans not exported, by reason")
                    .tag("exporter", tag)
                    .tag("reason", reason)
                    .register(registry);
            }
        }
    }

}
