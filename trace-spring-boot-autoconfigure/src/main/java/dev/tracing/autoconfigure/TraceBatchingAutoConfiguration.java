package dev.tracing.autoconfigure;

import dev.tracing.actuate.SpanExportMetrics;
import dev.tracing.export.BackgroundSpanReporters;
import dev.tracing.export.BatchingSpanReporter;
import dev.tracing.export.SpanExporter;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
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
@ConditionalOnTracingEnabled
@ConditionalOnBean(TraceAutoConfiguration.class)
@EnableConfigurationProperties(TraceExportProperties.class)
public final class TraceBatchingAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnBean(SpanExporter.class)
    BatchingSpanReporter traceBatchingSpanReporter(TraceExportProperties export,
            ObjectProvider<SpanExporter> exporters) {
        BatchingSpanReporter.Builder builder = PropertyMapping.batching(export.getBatch());
        exporters.orderedStream().forEach(builder::exporter);
        return builder.build();
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
    static class Metrics {

        @Bean
        @ConditionalOnMissingBean
        SpanExportMetrics traceSpanExportMetrics(ObjectProvider<BatchingSpanReporter> reporter,
                ObjectProvider<BackgroundSpanReporters> backgroundReporters) {
            BackgroundSpanReporters background = backgroundReporters.getIfAvailable();
            return new SpanExportMetrics(reporter.getIfAvailable(),
                    background != null ? background.background().values() : java.util.List.of());
        }

    }

}
