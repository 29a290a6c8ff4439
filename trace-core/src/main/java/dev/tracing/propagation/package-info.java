/**
 * Trace context on the wire: W3C Trace Context, B3 single and multi headers, Jaeger and W3C
 * Baggage, combined by {@link dev.tracing.propagation.CompositePropagator} into Micrometer's
 * {@code Propagator}. The formats parse by index and treat malformed input as "no context".
 */
package dev.tracing.propagation;
