/**
 * The current trace context beyond one thread: the SLF4J MDC decorator, the accessors that let
 * Micrometer's context-propagation library (and so Reactor) carry the context across threads, the
 * snapshot factory that makes those restores cheap, and {@link dev.tracing.context.ReactorTracing},
 * which reads the trace context from a Reactor {@code Context}.
 */
package dev.tracing.context;
