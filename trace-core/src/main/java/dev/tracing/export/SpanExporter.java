package dev.tracing.export;

import java.io.IOException;
import java.util.List;

import io.micrometer.tracing.exporter.FinishedSpan;

/**
 * Sends batches of finished spans to one backend. Called by the {@link BatchingSpanReporter}'s
 * background thread only, one batch at a time, never on a request thread.
 */
public interface SpanExporter extends AutoCloseable {

    /** A short name for metrics and logs, e.g. {@code zipkin}. */
    String name();

    /**
     * Sends {@code spans}. Returns when the backend accepted them; throws when it did not, or
     * did not answer within the exporter's timeout. The spans are then dropped and counted; a
     * {@link PartialExportFailure} says how many of them were not accepted, and only those are
     * counted as failed.
     */
    void export(List<FinishedSpan> spans) throws IOException;

    @Override
    default void close() {
    }

}
