package dev.tracing.core;

import io.micrometer.tracing.Span;

/**
 * Implemented by this tracer's span builders ({@code tracer.spanBuilder()}, and the builders our
 * propagators' {@code extract} returns): lets instrumentation say which sampler decides when the
 * span starts a trace this process decides, as a sampling rule for a request's path or a
 * record's topic does. A trace whose decision arrives with the request is not affected (unless
 * incoming decisions are not respected).
 */
public interface RuleSampling {

    /**
     * Has {@code sampler} decide in place of the tracer's sampler, if this span's trace is decided
     * here; a sampled local root then reports {@code name} as its
     * {@link RecordedSpan#sampledBy()}.
     */
    Span.Builder sampledBy(Sampler sampler, String name);

}
