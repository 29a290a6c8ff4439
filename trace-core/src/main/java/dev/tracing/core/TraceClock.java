package dev.tracing.core;

import java.time.Clock;
import java.time.Instant;

/**
 * Time for spans: epoch microseconds for timestamps, a monotonic clock for durations.
 *
 * <p>Design notes: a span's start is a wall-clock time (microsecond precision), its end is the
 * start plus the elapsed {@link System#nanoTime()}, so a wall-clock step (NTP) while a span is
 * open never yields a negative or inflated duration. {@link #SYSTEM} reads the wall clock at
 * most about once a second: in between, wall time is its last reading plus the monotonic time
 * elapsed since, so starting a span reads one clock instead of two. A wall-clock step is seen
 * within a second. A span takes its start from here only when its local parent has none to give
 * (a local root, or a child of a span not started yet): the other spans of a local trace, and their
 * events, are timed from their local root's start by the monotonic clock ({@code SpanContext.anchor}),
 * as Brave's and OpenTelemetry's anchored clocks time a trace, so a step or a re-anchoring between
 * two of them cannot misplace one against the other.
 *
 * <p>Not final: a test extends it to control time ({@link #nanoTime()} and the wall clock).
 */
public class TraceClock {

    /** The system clock. */
    public static final TraceClock SYSTEM = new Anchored(Clock.systemUTC());

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

    /**
     * Returns the time in epoch microseconds at {@code nanoTime}, a value {@link #nanoTime()} has
     * just returned. This implementation reads the wall clock now.
     */
    public long epochMicros(long nanoTime) {
        return epochMicros();
    }

    /** Returns the monotonic time in nanoseconds, for durations only. */
    public long nanoTime() {
        return System.nanoTime();
    }

    /** Wall time from a reading of {@code wall} at most a second old, advanced by the monotonic clock. */
    static final class Anchored extends TraceClock {

        private static final long REANCHOR_NANOS = 1_000_000_000L;

        private volatile Anchor anchor;

        Anchored(Clock wall) {
            this(wall, System.nanoTime());
        }

        Anchored(Clock wall, long nanoTime) {
            super(wall);
            this.anchor = new Anchor(super.epochMicros(), nanoTime);
        }

        @Override
        public long epochMicros() {
            return epochMicros(nanoTime());
        }

        @Override
        public long epochMicros(long nanoTime) {
            Anchor last = anchor;
            long elapsed = nanoTime - last.nanoTime;
            // a little negative when another thread has just re-anchored after this one read the time
            if (elapsed < REANCHOR_NANOS && elapsed > -REANCHOR_NANOS) {
                return last.epochMicrosAt(nanoTime);
            }
            Anchor fresh = new Anchor(super.epochMicros(), nanoTime);
            anchor = fresh;
            return fresh.epochMicros;
        }

    }

    /**
     * A wall-clock reading and the monotonic time it was taken at: the clock's, and a local trace's
     * (a span's start, which its local children are timed from: {@code SpanContext.anchor}).
     */
    record Anchor(long epochMicros, long nanoTime) {

        /** Wall time at {@code nanoTime}: this reading plus the monotonic time since. */
        long epochMicrosAt(long nanoTime) {
            return epochMicros + (nanoTime - this.nanoTime) / 1000L;
        }

    }

}
