package dev.tracing.autoconfigure;

import java.util.List;

import dev.tracing.export.BackgroundSpanReporters;
import dev.tracing.export.BatchingSpanReporter;
import dev.tracing.export.SpanExporter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The one {@link BatchingSpanReporter} that feeds every {@link SpanExporter} (those of
 * {@link TraceExportersAutoConfiguration} and the application's own) from the span pipeline,
 * and, when Micrometer metrics are present, the counters and queue gauge of it and of the
 * application's background {@link io.micrometer.tracing.exporter.SpanReporter}s. Without an
 * exporter there is no batching reporter and no thread.
 */
@AutoConfiguration(after = TraceExportersAutoConfiguration.class)
@ConditionalOnBean(TraceAutoConfiguration.class)
public final class TraceExportAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnBean(SpanExporter.class)
    BatchingSpanReporter traceBatchingSpanReporter(TraceProperties properties, ObjectProvider<SpanExporter> exporters) {
        TraceProperties.Batch batch = properties.getExport().getBatch();
        BatchingSpanReporter.Builder builder = BatchingSpanReporter.builder()
            .maxQueueSize(batch.getMaxQueueSize())
            .maxBatchSize(batch.getMaxBatchSize())
            .scheduleDelay(batch.getScheduleDelay())
            .timeout(batch.getTimeout());
        exporters.orderedStream().forEach(builder::exporter);
        return builder.build();
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
    static class Metrics {

        @Bean
        @ConditionalOnMissingBean
        TraceExportMetrics traceExportMetrics(ObjectProvider<BatchingSpanReporter> reporter,
                ObjectProvider<BackgroundSpanReporters> backgroundReporters) {
            return new TraceExportMetrics(reporter, backgroundReporters);
        }

    }

    /**
     * Counters of exported and dropped spans (by exporter, and by reason for drops) and the queue
     * size, bound to every {@code MeterRegistry} Spring Boot configures:
     * {@code trace.export.spans.exported}, {@code trace.export.spans.dropped} and
     * {@code trace.export.queue.size}. The application's background {@code SpanReporter}s count
     * under the same names, with their bean name as the {@code exporter} tag.
     */
    public static final class TraceExportMetrics implements MeterBinder {

        private static final List<String> REASONS = List.of(BatchingSpanReporter.QUEUE_FULL,
                BatchingSpanReporter.EXPORT_FAILED, BatchingSpanReporter.SHUTDOWN);

        private final ObjectProvider<BatchingSpanReporter> reporter;

        private final ObjectProvider<BackgroundSpanReporters> backgroundReporters;

        TraceExportMetrics(ObjectProvider<BatchingSpanReporter> reporter,
                ObjectProvider<BackgroundSpanReporters> backgroundReporters) {
            this.reporter = reporter;
            this.backgroundReporters = backgroundReporters;
        }

        @Override
        public void bindTo(MeterRegistry registry) {
            BackgroundSpanReporters background = backgroundReporters.getIfAvailable();
            if (background != null) {
                for (BatchingSpanReporter spans : background.background().values()) {
                    bindCounters(spans, registry);
                }
            }
            BatchingSpanReporter spans = reporter.getIfAvailable();
            if (spans == null) {
                return;
            }
            bindCounters(spans, registry);
            Gauge.builder("trace.export.queue.size", spans, BatchingSpanReporter::queueSize)
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
                    FunctionCounter
                        .builder("trace.export.spans.dropped", spans, r -> r.droppedCount(exporter, reason))
                        .description("Spans not exported, by reason")
                        .tag("exporter", exporter)
                        .tag("reason", reason)
                        .register(registry);
                }
            }
        }

    }

}
