/**
 * The tracer behind the Micrometer Tracing API: {@link dev.tracing.core.TraceTracer}, built by
 * {@link dev.tracing.core.Tracing}, with its span contexts and ids, the thread-local current
 * context and its scope decorators (the MDC one among them), the clock and the samplers. A
 * finished sampled span is a
 * {@link dev.tracing.core.RecordedSpan}, handed to a {@code SpanReporter}. Depends on nothing else
 * of this project but {@code dev.tracing.internal}.
 */
package dev.tracing.core;
