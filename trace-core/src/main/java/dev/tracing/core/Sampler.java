package dev.tracing.core;

/**
 * Decides whether a new root trace is recorded. Children follow their parent's decision; the
 * sampler is asked only when there is no decision yet.
 */
@FunctionalInterface
public interface Sampler {

    /** Records every trace. */
    Sampler ALWAYS_SAMPLE = (high, low) -> true;

    /** Records no trace. */
    Sampler NEVER_SAMPLE = (high, low) -> false;

    /** Returns true if the trace with the given 128-bit id should be recorded. */
    boolean isSampled(long traceIdHigh, long traceIdLow);

    /**
     * Returns the sampler configured by {@code trace.sampling.*}: a decision from the trace id
     * with {@code probability}, then at most {@code rateLimit} sampled roots per second
     * ({@code 0} for no limit).
     */
    static Sampler create(double probability, int rateLimit) {
        Sampler byProbability = ProbabilitySampler.create(probability);
        if (rateLimit <= 0 || byProbability == NEVER_SAMPLE) {
            return byProbability;
        }
        RateLimitingSampler limiter = new RateLimitingSampler(rateLimit);
        if (byProbability == ALWAYS_SAMPLE) {
            return limiter;
        }
        return (high, low) -> byProbability.isSampled(high, low) && limiter.isSampled(high, low);
    }
}
