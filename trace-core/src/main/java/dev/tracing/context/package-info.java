/**
 * The current trace context beyond one thread: the accessor that lets Micrometer's
 * context-propagation library (and so Reactor) carry it across threads, the snapshot factory that
 * makes those restores cheap, and {@link dev.tracing.context.ReactorTracing}, which reads the trace
 * context from a Reactor {@code Context}.
 */
package dev.tracing.context;
