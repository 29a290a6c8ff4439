package dev.tracing.autoconfigure;

import java.time.Duration;
import java.util.Map;

import dev.tracing.export.HttpSpanSender;
import dev.tracing.export.LoggingSpanExporter;
import dev.tracing.export.OtlpSpanExporter;
import dev.tracing.export.ZipkinSpanExporter;
import zipkin2.reporter.Encoding;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.StringUtils;

/**
 * A {@link dev.tracing.export.SpanExporter} per configured backend: Zipkin
 * ({@code trace.export.zipkin.endpoint}), OTLP/HTTP ({@code trace.export.otlp.endpoint}) and JSON
 * log lines ({@code trace.export.logging.enabled}). Zipkin and OTLP go through an
 * {@link HttpSpanSender} each (the JDK's HTTP client: gzip, the configured headers, no redirects,
 * retries with backoff), with {@code trace.export.batch.timeout} as the deadline of one export,
 * retries included. Without any of the three, the class is skipped whole: an application that
 * exports nowhere pays nothing for it at start-up.
 */
@AutoConfiguration(after = TraceAutoConfiguration.class)
@ConditionalOnTracingEnabled
@ConditionalOnBean(TraceAutoConfiguration.class)
@ConditionalOnClass(name = "zipkin2.reporter.BytesMessageSender")
@Conditional(TraceExportersAutoConfiguration.AnyBackend.class)
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

    /**
     * Beside any exporter bean of the application's, a second collector's included (counted as
     * {@code otlp-2}): the endpoint property asks for this one. A bean of this name replaces it.
     */
    @Bean
    @ConditionalOnMissingBean(name = "traceOtlpSpanExporter")
    @Conditional(OnOtlpEndpoint.class)
    OtlpSpanExporter traceOtlpSpanExporter(TraceOtlpProperties otlp, TraceExportProperties export) {
        // the collector's partial success is read from the answers that take a request
        return new OtlpSpanExporter(sender("trace.export.otlp", otlp.getEndpoint(), OTLP_EXAMPLE, otlp.getHeaders(),
                Encoding.PROTO3, export, OtlpSpanExporter::checkAnswer));
    }

    /** Beside any exporter bean of the application's, as the OTLP one; a bean of this name replaces it. */
    @Bean
    @ConditionalOnMissingBean(name = "traceZipkinSpanExporter")
    @Conditional(OnZipkinEndpoint.class)
    ZipkinSpanExporter traceZipkinSpanExporter(TraceZipkinProperties zipkin, TraceExportProperties export) {
        return new ZipkinSpanExporter(sender("trace.export.zipkin", zipkin.getEndpoint(), ZIPKIN_EXAMPLE,
                zipkin.getHeaders(), Encoding.JSON, export, null));
    }

    private static HttpSpanSender sender(String prefix, String endpoint, String example, Map<String, String> headers,
            Encoding encoding, TraceExportProperties export, HttpSpanSender.AcceptedAnswerCheck answerCheck) {
        String checked = PropertyMapping.mapSecret(prefix + ".endpoint",
                () -> HttpSpanSender.checkEndpoint(endpoint, example));
        PropertyMapping.mapSecret(prefix + ".headers", () -> HttpSpanSender.checkHeaders(headers));
        Duration timeout = PropertyMapping.batching(export.getBatch()).timeout();
        return PropertyMapping.mapSecret(prefix + ".headers",
                () -> HttpSpanSender.create(checked, encoding, headers, timeout, answerCheck));
    }

    /**
     * Matches when an endpoint property holds more than whitespace. Read from the environment: spliced
     * into an expression, a value with a quote (a password in the URL's user-info) failed start-up with a
     * message that showed the whole URL.
     */
    abstract static class OnEndpoint extends SpringBootCondition {

        private final String property;

        OnEndpoint(String property) {
            this.property = property;
        }

        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return StringUtils.hasText(context.getEnvironment().getProperty(property))
                    ? ConditionOutcome.match(property + " is set") : ConditionOutcome.noMatch(property + " is not set");
        }

    }

    /** Whether any backend is configured: one of the exporters' own conditions. */
    static final class AnyBackend extends AnyNestedCondition {

        AnyBackend() {
            super(ConfigurationPhase.PARSE_CONFIGURATION);
        }

        @ConditionalOnProperty(prefix = "trace.export.logging", name = "enabled", havingValue = "true")
        static class Logging {

        }

        @Conditional(OnOtlpEndpoint.class)
        static class Otlp {

        }

        @Conditional(OnZipkinEndpoint.class)
        static class Zipkin {

        }

    }

    static final class OnOtlpEndpoint extends OnEndpoint {

        OnOtlpEndpoint() {
            super("trace.export.otlp.endpoint");
        }

    }

    static final class OnZipkinEndpoint extends OnEndpoint {

        OnZipkinEndpoint() {
            super("trace.export.zipkin.endpoint");
        }

    }

}
