package dev.tracing.core;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Which local traces are kept although the sampler did not choose them: those whose local root
 * span ended in error, or took longer than a threshold. While such a trace runs, its spans in this
 * process are recorded but not exported; when its local root ends, they are either all exported
 * (tagged {@value #KEPT_TAG}) or all dropped. The decision stays local: the sampling flag this
 * process already sent downstream does not change.
 *
 * <p>Memory is bounded: a trace holds at most {@link #maxSpansPerTrace()} ended spans while it
 * waits for its root, and all traces together at most {@link #maxPendingSpans()}; spans beyond
 * either bound are dropped and counted ({@link TraceTracer#keepDroppedSpanCount()}). When all
 * traces together hold their maximum, a trace that has waited more than a minute for its root (a
 * root that never ends, a stream open for minutes) is dropped to make room, and its spans are
 * counted the same way (the pool looks for such traces at most once a second). About
 * {@link #rateLimit()} traces are kept per second at most: the sampler's limiter, which lets a burst
 * of a tenth of the rate through after a quiet spell.
 */
public final class KeepPolicy {

    /** The tag a kept trace's local root carries: {@value #KEPT_ERROR} or {@value #KEPT_SLOW}. */
    public static final String KEPT_TAG = "sampling.kept";

    /** The {@value #KEPT_TAG} of a trace kept because its local root ended in error. */
    public static final String KEPT_ERROR = "error";

    /** The {@value #KEPT_TAG} of a trace kept because its local root took too long. */
    public static final String KEPT_SLOW = "slow";

    /** The ended spans one waiting trace holds at most, without a choice. */
    public static final int DEFAULT_MAX_SPANS_PER_TRACE = 256;

    /** The ended spans all waiting traces hold at most together, without a choice. */
    public static final int DEFAULT_MAX_PENDING_SPANS = 10_000;

    /** The traces kept per second at most, without a choice: the sampler's own default rate. */
    public static final int DEFAULT_RATE_LIMIT = 100;

    /** Keeps nothing the sampler did not choose: no recording cost for unsampled traces. */
    public static final KeepPolicy NONE = builder().build();

    private final boolean errors;

    private final long slowerThanMicros;

    private final int maxSpansPerTrace;

    private final int maxPendingSpans;

    private final int rateLimit;

    private KeepPolicy(Builder builder) {
        this.errors = builder.errors;
        this.slowerThanMicros = builder.slowerThanMicros;
        this.maxSpansPerTrace = builder.maxSpansPerTrace;
        this.maxPendingSpans = builder.maxPendingSpans;
        this.rateLimit = builder.rateLimit;
    }

    /** Returns a builder that keeps nothing, with the {@code DEFAULT_*} bounds. */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether any trace is kept: unsampled traces are then recorded while they run. */
    public boolean isEnabled() {
        return errors || slowerThanMicros > 0;
    }

    public boolean errors() {
        return errors;
    }

    /** The threshold in microseconds; 0 when slow traces are not kept. */
    public long slowerThanMicros() {
        return slowerThanMicros;
    }

    public int maxSpansPerTrace() {
        return maxSpansPerTrace;
    }

    public int maxPendingSpans() {
        return maxPendingSpans;
    }

    /** The traces kept per second at most; 0 when there is no limit. */
    public int rateLimit() {
        return rateLimit;
    }

    /**
     * Returns why a trace whose local root is {@code root} is kept, {@value #KEPT_ERROR} or
     * {@value #KEPT_SLOW}, or null when it is not.
     */
    String reason(RecordedSpan root) {
        if (errors && root.hasError()) {
            return KEPT_ERROR;
        }
        if (slowerThanMicros > 0 && root.durationMicros() > slowerThanMicros) {
            return KEPT_SLOW;
        }
        return null;
    }

    @Override
    public String toString() {
        return "KeepPolicy{errors=" + errors + ", slowerThanMicros=" + slowerThanMicros + ", maxSpansPerTrace="
                + maxSpansPerTrace + ", maxPendingSpans=" + maxPendingSpans + ", rateLimit=" + rateLimit + "}";
    }

    /** Configures a {@link KeepPolicy}. */
    public static final class Builder {

        private boolean errors;

        private long slowerThanMicros;

        private int maxSpansPerTrace = DEFAULT_MAX_SPANS_PER_TRACE;

        private int maxPendingSpans = DEFAULT_MAX_PENDING_SPANS;

        private int rateLimit = DEFAULT_RATE_LIMIT;

        private Builder() {
        }

        /** Whether a trace whose local root ended in error (an exception or an error tag) is kept. */
        public Builder errors(boolean errors) {
            this.errors = errors;
            return this;
        }

        /**
         * Keeps a trace whose local root took longer than this; null or zero for none.
         * @throws IllegalArgumentException when it is negative
         */
        public Builder slowerThan(Duration slowerThan) {
            if (slowerThan != null && slowerThan.isNegative()) {
                throw new IllegalArgumentException("must be 0 (off) or positive, was " + slowerThan);
            }
            this.slowerThanMicros = slowerThan == null ? 0L : micros(slowerThan);
            return this;
        }

        /**
         * The ended spans one waiting trace holds at most.
         * @throws IllegalArgumentException when it is below 1
         */
        public Builder maxSpansPerTrace(int maxSpansPerTrace) {
            if (maxSpansPerTrace < 1) {
                throw new IllegalArgumentException("must be at least 1, was " + maxSpansPerTrace);
            }
            this.maxSpansPerTrace = maxSpansPerTrace;
            return this;
        }

        /**
         * The ended spans all waiting traces hold at most together.
         * @throws IllegalArgumentException when it is below 1
         */
        public Builder maxPendingSpans(int maxPendingSpans) {
            if (maxPendingSpans < 1) {
                throw new IllegalArgumentException("must be at least 1, was " + maxPendingSpans);
            }
            this.maxPendingSpans = maxPendingSpans;
            return this;
        }

        /**
         * The traces kept per second at most, counted apart from the sampler's rate: a failed or slow
         * trace over it is dropped and counted ({@link TraceTracer#keepLimitedTraceCount()}), so that
         * whoever can make requests fail or slow cannot make this process export more. 0 for no limit.
         * @throws IllegalArgumentException when it is negative
         */
        public Builder rateLimit(int rateLimit) {
            if (rateLimit < 0) {
                throw new IllegalArgumentException("must be 0 (no limit) or positive, was " + rateLimit);
            }
            this.rateLimit = rateLimit;
            return this;
        }

        /**
         * {@code duration} in whole microseconds, at least 1 when it is positive (so that 500 ns is not
         * "off"), saturated at the long range.
         */
        private static long micros(Duration duration) {
            long micros = TimeUnit.MICROSECONDS.convert(duration);
            return micros == 0 && !duration.isZero() ? 1 : micros;
        }

        public KeepPolicy build() {
            return new KeepPolicy(this);
        }

    }

}
