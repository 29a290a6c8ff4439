package dev.tracing.core;

/**
 * Samples a fraction of traces, decided from the trace id alone.
 *
 * <p>Design notes: the decision compares the absolute value of the trace id's lower 64 bits with
 * {@code probability * Long.MAX_VALUE}, as OpenTelemetry's {@code TraceIdRatioBased} sampler
 * does, so every service configured with the same probability (ours or OpenTelemetry's) makes
 * the same decision for the same trace, with no shared state and no coordination.
 */
final class ProbabilitySampler implements Sampler {

    private final long bound;

    private ProbabilitySampler(double probability) {
        this.bound = (long) (probability * Long.MAX_VALUE);
    }

    /** Returns a sampler for {@code probability}, which {@link Sampler.Builder} checked to be in {@code [0, 1]}. */
    static Sampler create(double probability) {
        if (probability == 0.0) {
            return NEVER_SAMPLE;
        }
        if (probability == 1.0) {
            return ALWAYS_SAMPLE;
        }
        return new ProbabilitySampler(probability);
    }

    @Override
    public boolean isSampled(long traceIdHigh, long traceIdLow) {
        // Math.abs(Long.MIN_VALUE) is negative: such an id is always below the bound, as in OpenTelemetry
        return Math.abs(traceIdLow) < bound;
    }

    @Override
    public String toString() {
        return "ProbabilitySampler{" + ((double) bound / Long.MAX_VALUE) + "}";
    }
}
