package dev.tracing.core;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Samples at most a number of traces per second.
 *
 * <p>Design notes: a virtual-scheduling limiter (the generic cell rate algorithm): one atomic
 * "next allowed time" advances by {@code 1s / rate} for each sampled trace, with a burst
 * allowance of a tenth of a second. It keeps the rate over any window, not just per calendar
 * second, costs one CAS per decision and allocates nothing.
 */
public final class RateLimitingSampler implements Sampler {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final long intervalNanos;

    private final long burstNanos;

    private final AtomicLong theoreticalArrival;

    /**
     * Creates a limiter of {@code tracesPerSecond}.
     * @throws IllegalArgumentException when it is not positive
     */
    public RateLimitingSampler(int tracesPerSecond) {
        if (tracesPerSecond <= 0) {
            throw new IllegalArgumentException("tracesPerSecond must be positive, was " + tracesPerSecond);
        }
        this.intervalNanos = NANOS_PER_SECOND / tracesPerSecond;
        this.burstNanos = Math.max(intervalNanos, NANOS_PER_SECOND / 10);
        this.theoreticalArrival = new AtomicLong(System.nanoTime() - burstNanos);
    }

    @Override
    public boolean isSampled(long traceIdHigh, long traceIdLow) {
        long now = System.nanoTime();
        while (true) {
            long tat = theoreticalArrival.get();
            long base = tat - now < -burstNanos ? now - burstNanos : tat;
            if (base - now >= 0) {
                return false;
            }
            if (theoreticalArrival.compareAndSet(tat, base + intervalNanos)) {
                return true;
            }
        }
    }
}
