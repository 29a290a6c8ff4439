package dev.tracing.export;

import java.util.List;

import io.micrometer.tracing.exporter.FinishedSpan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one JSON line per span (the Zipkin v2 JSON of the span) at INFO on its own logger,
 * {@value #LOGGER_NAME}, for log-aggregation pipelines. Route or silence that logger like any
 * other.
 */
public final class LoggingSpanExporter implements SpanExporter {

    /** The logger the lines are written to. */
    public static final String LOGGER_NAME = "dev.tracing.spans";

    private final Logger logger = LoggerFactory.getLogger(LOGGER_NAME);

    @Override
    public String name() {
        return "logging";
    }

    /** Only the exception's type and message are written. */
    @Override
    public boolean readsErrorSummaryOnly() {
        return true;
    }

    @Override
    public void export(List<FinishedSpan> spans) {
        if (!logger.isInfoEnabled()) {
            return;
        }
        for (FinishedSpan span : spans) {
            logger.info(ZipkinV2JsonEncoder.INSTANCE.encode(span));
        }
    }

}
