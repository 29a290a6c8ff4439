/**
 * Metrics beside traces: Prometheus exemplars that carry the current trace and span ids.
 */
package dev.tracing.instrument.metrics;
