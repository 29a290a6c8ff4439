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

    /**
     * Whether this exporter reads no more of a span's exception ({@link FinishedSpan#getError()})
     * than its type and message. The {@link BatchingSpanReporter} then queues such a span with a
     * summary of the exception in its place ({@code dev.tracing.core.ErrorSummary}, whose type the
     * encoders read), as the in-memory store keeps it: a queue of thousands of spans behind a slow
     * backend would otherwise keep every exception alive, with its stack trace, causes and whatever
     * it holds (a response body). False by default: the exporter gets the exception itself.
     */
    default boolean readsErrorSummaryOnly() {
        return false;
    }

    @Override
    default void close() {
    }

}
