package dev.tracing.export;

import io.micrometer.tracing.exporter.SpanReporter;

/**
 * A {@link SpanReporter} that the span pipeline calls on the thread that ends the span, instead
 * of giving it a queue and a thread of its own as it does for the application's reporters
 * ({@link BackgroundSpanReporters}). Only for reporters that take a span in a few field writes or
 * one queue offer, never block and never throw: the in-memory store, the batching exporter, and a
 * test kit's collector, which must see a span the moment it ends.
 */
public interface CallingThreadSpanReporter extends SpanReporter {

}
