package dev.tracing.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.tracing.core.KeepPolicy;
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

    /**
     * Rules for new root traces, first match wins; the probability and rate limit above apply to
     * what no rule matches. A rule matches requests by {@code path} (Spring PathPattern syntax,
     * e.g. {@code /api/orders/**} or {@code /orders/{id}}, on the request path) and optionally
     * {@code method}, or Kafka records by {@code messaging-destination} (the topic); it sets
     * {@code probability} and {@code rate-limit}, each defaulting to the global value (the rate
     * limit is counted per rule).
     */
    private List<Rule> rules = new ArrayList<>();

    /** Traces kept although the probability did not choose them. */
    private final Keep keep = new Keep();

    public List<Rule> getRules() {
        return rules;
    }

    public void setRules(List<Rule> rules) {
        this.rules = rules;
    }

    public Keep getKeep() {
        return keep;
    }

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

    /** One sampling rule. */
    public static class Rule {

        /** Request path pattern (Spring PathPattern syntax), e.g. {@code /api/orders/**}. */
        private String path;

        /** HTTP method the rule is limited to, e.g. {@code POST}; any method when unset. */
        private String method;

        /** Messaging destination (Kafka topic) whose records the rule decides. */
        private String messagingDestination;

        /** Fraction of matching new root traces recorded, 0.0 to 1.0; the global probability when unset. */
        private Double probability;

        /**
         * Maximum matching new root traces recorded per second, counted for this rule alone; 0 means
         * no limit; the global rate limit's value when unset.
         */
        private Integer rateLimit;

        public String getPath() {
            return path;
        }

        public void setPath(String path) {
            this.path = path;
        }

        public String getMethod() {
            return method;
        }

        public void setMethod(String method) {
            this.method = method;
        }

        public String getMessagingDestination() {
            return messagingDestination;
        }

        public void setMessagingDestination(String messagingDestination) {
            this.messagingDestination = messagingDestination;
        }

        public Double getProbability() {
            return probability;
        }

        public void setProbability(Double probability) {
            this.probability = probability;
        }

        public Integer getRateLimit() {
            return rateLimit;
        }

        public void setRateLimit(Integer rateLimit) {
            this.rateLimit = rateLimit;
        }

    }

    /**
     * Local traces kept although the probability did not choose them. While such a trace runs its
     * spans here are recorded; when its local root ends they are exported, all of them, if it
     * failed or was slow, else dropped. Downstream services keep the decision they received.
     */
    public static class Keep {

        /** Whether a local trace whose local root ended in error (an exception, a 5xx, a failed listener) is kept. */
        private boolean errors;

        /** Keep a local trace whose local root took longer than this; unset or 0 keeps none for being slow. */
        private Duration slowerThan;

        /** Maximum ended spans one waiting trace holds until its local root ends; more are dropped and counted. */
        private int maxSpansPerTrace = KeepPolicy.DEFAULT_MAX_SPANS_PER_TRACE;

        /** Maximum ended spans all waiting traces hold together; more are dropped and counted. */
        private int maxPendingSpans = KeepPolicy.DEFAULT_MAX_PENDING_SPANS;

        /**
         * Maximum traces kept per second for an error or for being slow, apart from the sampler's rate
         * limit, so that a client that can make requests fail cannot make this service export more;
         * traces over it are dropped and counted. 0 means no limit.
         */
        private int rateLimit = KeepPolicy.DEFAULT_RATE_LIMIT;

        public boolean isErrors() {
            return errors;
        }

        public void setErrors(boolean errors) {
            this.errors = errors;
        }

        public Duration getSlowerThan() {
            return slowerThan;
        }

        public void setSlowerThan(Duration slowerThan) {
            this.slowerThan = slowerThan;
        }

        public int getMaxSpansPerTrace() {
            return maxSpansPerTrace;
        }

        public void setMaxSpansPerTrace(int maxSpansPerTrace) {
            this.maxSpansPerTrace = maxSpansPerTrace;
        }

        public int getMaxPendingSpans() {
            return maxPendingSpans;
        }

        public void setMaxPendingSpans(int maxPendingSpans) {
            this.maxPendingSpans = maxPendingSpans;
        }

        public int getRateLimit() {
            return rateLimit;
        }

        public void setRateLimit(int rateLimit) {
            this.rateLimit = rateLimit;
        }

    }

}
