/**
 * Where finished spans go: the span pipeline (filters, predicates, reporters), the in-memory
 * store behind the {@code traces} endpoint, the batching reporter that feeds the
 * {@link dev.tracing.export.SpanExporter}s, the Zipkin v2 JSON and OTLP encoders, and the
 * Zipkin, OTLP and logging exporters.
 */
package dev.tracing.export;
