/**
 * Sampling rules: which sampler decides a new trace, by request path and method or by
 * messaging destination, shared by the HTTP and messaging adapters.
 */
package dev.tracing.instrument.sampling;
