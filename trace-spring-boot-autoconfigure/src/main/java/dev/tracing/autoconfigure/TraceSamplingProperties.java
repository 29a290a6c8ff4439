package dev.tracing.autoconfigure;

import dev.tracing.core.Sampler;
import dev.tracing.core.Tracing;

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

    /**
     * Whether a sampling decision that arrives with a caller's trace context is kept. False, for
     * a service at the edge of the internet: the caller's trace id is still continued, but this
     * service's probability and rate limit decide, so no caller can make it record more.
     */
    private boolean respectIncoming = Tracing.DEFAULT_RESPECT_INCOMING;

    public double getProbability() {
        return probability;
    }

    public void setProbability(double probability) {
        this.probability = probability;
    }

    public boolean isRespectIncoming() {
        return respectIncoming;
    }

    public void setRespectIncoming(boolean respectIncoming) {
        this.respectIncoming = respectIncoming;
    }

    public int getRateLimit() {
        return rateLimit;
    }

    public void setRateLimit(int rateLimit) {
        this.rateLimit = rateLimit;
    }

}
