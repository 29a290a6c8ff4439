package dev.tracing.core;

import java.time.Clock;
import java.time.Instant;

/**
 * Time for spans: epoch microseconds for timestamps, a monotonic clock for durations.
 *
 * <p>Design notes: a span's start is read from the wall clock (microsecond precision on Java 17),
 * its end is the start plus the elapsed {@link System#nanoTime()}, so a wall-clock step (NTP)
 * while a span is open never yields a negative or inflated duration.
 */
public class TraceClock {

    /** The system clock. */
    public static final TraceClock SYSTEM = new TraceClock(Clock.systemUTC());

    private final Clock clock;

    /** Creates a clock reading wall time from {@code clock}. */
    public TraceClock(Clock clock) {
        this.clock = clock;
    }

    /** Returns the current time in epoch microseconds. */
    public long epochMicros() {
        Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000L;
    }

    /** Returns the monotonic time in nanoseconds, for durations only. */
    public long nanoTime() {
        return System.nanoTime();
    }
}
