/**
 * What the starter shows about itself: the read-only {@code traces} actuator endpoint over the
 * in-memory store, the {@code traceview} page that draws its traces, and the metrics of the
 * tracer and of the export queues.
 */
package dev.tracing.actuate;
