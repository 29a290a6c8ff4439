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

    /** The fraction of new root traces that a sampler built without a choice records: all of them. */
    double DEFAULT_PROBABILITY = 1.0;

    /** The new root traces per second that a sampler built without a choice records at most. */
    int DEFAULT_RATE_LIMIT = 100;

    /** Returns true if the trace with the given 128-bit id should be recorded. */
    boolean isSampled(long traceIdHigh, long traceIdLow);

    /**
     * Told that a trace this sampler chose to record was dropped before anything of it was
     * recorded (a span started only to read its parent's context, then abandoned): a rate limit
     * then counts it as not taken, so such spans cost no caller its share. Does nothing by default.
     */
    default void abandoned(long traceIdHigh, long traceIdLow) {
    }

    /**
     * Returns a builder of the usual sampler: a decision from the trace id with a probability,
     * then a rate limit, with {@link #DEFAULT_PROBABILITY} and {@link #DEFAULT_RATE_LIMIT}.
     */
    static Builder builder() {
        return new Builder();
    }

    /** Returns {@code builder().probability(probability).rateLimit(rateLimit).build()}. */
    static Sampler create(double probability, int rateLimit) {
        return builder().probability(probability).rateLimit(rateLimit).build();
    }

    /** Configures the usual sampler: by probability from the trace id, then by rate. */
    final class Builder {

        private double probability = DEFAULT_PROBABILITY;

        private int rateLimit = DEFAULT_RATE_LIMIT;

        private Builder() {
        }

        /**
         * The fraction of new root traces recorded, decided from the trace id, so every service
         * with the same probability agrees.
         * @throws IllegalArgumentException when it is outside {@code [0.0, 1.0]}
         */
        public Builder probability(double probability) {
            if (!(probability >= 0.0 && probability <= 1.0)) {
                throw new IllegalArgumentException("must be between 0.0 and 1.0, was " + probability);
            }
            this.probability = probability;
            return this;
        }

        /**
         * At most this many sampled new root traces per second, after the probability; 0 for no
         * limit.
         * @throws IllegalArgumentException when it is negative
         */
        public Builder rateLimit(int rateLimit) {
            if (rateLimit < 0) {
                throw new IllegalArgumentException("must be 0 (no limit) or positive, was " + rateLimit);
            }
            this.rateLimit = rateLimit;
            return this;
        }

        /** Returns the sampler. */
        public Sampler build() {
            Sampler byProbability = ProbabilitySampler.create(probability);
            if (rateLimit == 0 || byProbability == NEVER_SAMPLE) {
                return byProbability;
            }
            RateLimitingSampler limiter = new RateLimitingSampler(rateLimit);
            if (byProbability == ALWAYS_SAMPLE) {
                return limiter;
            }
            return new Sampler() {

                @Override
                public boolean isSampled(long high, long low) {
                    return byProbability.isSampled(high, low) && limiter.isSampled(high, low);
                }

                @Override
                public void abandoned(long high, long low) {
                    limiter.abandoned(high, low);
                }

                @Override
                public String toString() {
                    return byProbability + " then " + limiter;
                }

            };
        }

    }
}
