package dev.tracing.core;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Samples at most a number of traces per second.
 *
 * <p>Design notes: a virtual-scheduling limiter (the generic cell rate algorithm): one atomic
 * "theoretical arrival time" advances by {@code 1s / rate} for each sampled trace. A burst of a
 * tenth of the rate is tolerated after a quiet period (none below 10 per second), so traffic
 * that arrives in bunches is still sampled at the configured rate; over any window of T seconds
 * at most {@code rate * T + rate / 10 + 1} traces pass. It has no calendar windows, costs one
 * CAS per decision and allocates nothing.
 */
final class RateLimitingSampler implements Sampler {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final long intervalNanos;

    private final long burstNanos;

    private final AtomicLong theoreticalArrival;

    private final LongSupplier nanoTime;

    /**
     * Creates a limiter of {@code tracesPerSecond}.
     * @throws IllegalArgumentException when it is not positive
     */
    public RateLimitingSampler(int tracesPerSecond) {
        this(tracesPerSecond, System::nanoTime);
    }

    /** Creates a limiter of {@code tracesPerSecond} that reads the time from {@code nanoTime}. */
    RateLimitingSampler(int tracesPerSecond, LongSupplier nanoTime) {
        if (tracesPerSecond <= 0) {
            throw new IllegalArgumentException("tracesPerSecond must be positive, was " + tracesPerSecond);
        }
        this.intervalNanos = NANOS_PER_SECOND / tracesPerSecond;
        this.burstNanos = (tracesPerSecond / 10) * intervalNanos;
        this.nanoTime = nanoTime;
        this.theoreticalArrival = new AtomicLong(nanoTime.getAsLong());
    }

    /** Gives back the interval the abandoned trace took, so the next one can be sampled. */
    @Override
    public void abandoned(long traceIdHigh, long traceIdLow) {
        theoreticalArrival.addAndGet(-intervalNanos);
    }

    @Override
    public boolean isSampled(long traceIdHigh, long traceIdLow) {
        long now = nanoTime.getAsLong();
        while (true) {
            long tat = theoreticalArrival.get();
            if (tat - now > burstNanos) {
                return false;
            }
            long next = (tat - now < 0 ? now : tat) + intervalNanos;
            if (theoreticalArrival.compareAndSet(tat, next)) {
                return true;
            }
        }
    }
}
