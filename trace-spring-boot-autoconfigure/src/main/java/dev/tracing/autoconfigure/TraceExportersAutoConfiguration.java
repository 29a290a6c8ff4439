package dev.tracing.autoconfigure;

import java.time.Duration;

import dev.tracing.export.HttpSpanSender;
import dev.tracing.export.LoggingSpanExporter;
import dev.tracing.export.OtlpSpanExporter;
import dev.tracing.export.ZipkinSpanExporter;
import zipkin2.reporter.Encoding;
import zipkin2.reporter.urlconnection.URLConnectionSender;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A {@link dev.tracing.export.SpanExporter} per configured backend: Zipkin
 * ({@code trace.export.zipkin.endpoint}), OTLP/HTTP ({@code trace.export.otlp.endpoint}) and JSON
 * log lines ({@code trace.export.logging.enabled}). Zipkin goes through zipkin-reporter's
 * {@link URLConnectionSender}, or, when {@code trace.export.zipkin.headers} are set, through
 * {@link HttpSpanSender} (built on zipkin-reporter's base HTTP sender), which adds them; OTLP
 * always through {@link HttpSpanSender}, with {@code trace.export.otlp.headers}. All
 * gzip-compressed, with {@code trace.export.batch.timeout} as their connect and read timeouts.
 */
@AutoConfiguration(after = TraceAutoConfiguration.class)
@ConditionalOnBean(TraceAutoConfiguration.class)
@EnableConfigurationProperties({ TraceExportProperties.class, TraceZipkinProperties.class, TraceOtlpProperties.class })
public final class TraceExportersAutoConfiguration {

    private static final String ZIPKIN_EXAMPLE = "http://localhost:9411/api/v2/spans";

    private static final String OTLP_EXAMPLE = "http://localhost:4318/v1/traces";

    @Bean
    @ConditionalOnMissingBean(LoggingSpanExporter.class)
    @ConditionalOnProperty(prefix = "trace.export.logging", name = "enabled", havingValue = "true")
    LoggingSpanExporter traceLoggingSpanExporter() {
        return new LoggingSpanExporter();
    }

    @Bean
    @ConditionalOnMissingBean(OtlpSpanExporter.class)
    @ConditionalOnExpression("!'${trace.export.otlp.endpoint:}'.isBlank()")
    OtlpSpanExporter traceOtlpSpanExporter(TraceOtlpProperties otlp, TraceExportProperties export) {
        // zipkin-reporter's URLConnectionSender cannot add the headers hosted OTLP backends ask for
        String endpoint = PropertyMapping.mapSecret("trace.export.otlp.endpoint",
                () -> HttpSpanSender.checkEndpoint(otlp.getEndpoint(), OTLP_EXAMPLE));
        PropertyMapping.mapSecret("trace.export.otlp.headers", () -> HttpSpanSender.checkHeaders(otlp.getHeaders()));
        Duration timeout = PropertyMapping.batching(export.getBatch()).timeout();
        return new OtlpSpanExporter(HttpSpanSender.create(endpoint, Encoding.PROTO3, otlp.getHeaders(), timeout));
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "zipkin2.reporter.urlconnection.URLConnectionSender")
    static class Http {

        @Bean
        @ConditionalOnMissingBean(ZipkinSpanExporter.class)
        @ConditionalOnExpression("!'${trace.export.zipkin.endpoint:}'.isBlank()")
        ZipkinSpanExporter traceZipkinSpanExporter(TraceZipkinProperties zipkin, TraceExportProperties export) {
            String endpoint = PropertyMapping.mapSecret("trace.export.zipkin.endpoint",
                    () -> HttpSpanSender.checkEndpoint(zipkin.getEndpoint(), ZIPKIN_EXAMPLE));
            PropertyMapping.mapSecret("trace.export.zipkin.headers",
                    () -> HttpSpanSender.checkHeaders(zipkin.getHeaders()));
            Duration timeout = PropertyMapping.batching(export.getBatch()).timeout();
            if (!zipkin.getHeaders().isEmpty()) {
                return new ZipkinSpanExporter(HttpSpanSender.create(endpoint, Encoding.JSON, zipkin.getHeaders(), timeout));
            }
            int millis = (int) timeout.toMillis();
            return new ZipkinSpanExporter(URLConnectionSender.newBuilder()
                .endpoint(endpoint)
                .encoding(Encoding.JSON)
                .connectTimeout(millis)
                .readTimeout(millis)
                .build());
        }

    }

}
