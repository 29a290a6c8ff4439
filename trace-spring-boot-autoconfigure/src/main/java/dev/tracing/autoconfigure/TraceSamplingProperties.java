package dev.tracing.autoconfigure;

import dev.tracing.core.Sampler;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** Which new traces are recorded. */
@ConfigurationProperties("trace.sampling")
public class TraceSamplingProperties {

    /**
     * Fraction of new root traces recorded, from 0.0 to 1.0. Decided from the trace id, so
     * every service with the same value agrees; a request that arrives with a decision keeps
     * it.
     */
    private double probability = Sampler.DEFAULT_PROBABILITY;

    /**
     * Maximum number of new root traces recorded per second, after the probability; 0 means
     * no limit.
     */
    private int rateLimit = Sampler.DEFAULT_RATE_LIMIT;

    public double getProbability() {
        return probability;
    }

    public void setProbability(double probability) {
        this.probability = probability;
    }

    public int getRateLimit() {
        return rateLimit;
    }

    public void setRateLimit(int rateLimit) {
        this.rateLimit = rateLimit;
    }

}
