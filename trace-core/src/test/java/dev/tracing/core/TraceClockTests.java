package dev.tracing.core;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The system clock reads the wall clock about once a second and the monotonic clock in between. */
class TraceClockTests {

    private static final long T = 1_700_000_000_000_000L;

    /** A wall clock the test sets. */
    private static final class WallClock extends Clock {

        long micros = T;

        @Override
        public Instant instant() {
            return Instant.ofEpochSecond(micros / 1_000_000L, micros % 1_000_000L * 1000L);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

    }

    @Test
    void withinASecondWallTimeIsTheAnchorPlusTheMonotonicTimeElapsed() {
        WallClock wall = new WallClock();
        TraceClock clock = new TraceClock.Anchored(wall, 1_000L);
        wall.micros += 7_000;

        assertThat(clock.epochMicros(1_000L + 2_500_000L)).as("2.5 ms later, the wall clock's step not seen yet")
            .isEqualTo(T + 2_500);
        assertThat(clock.epochMicros(1_000L + 999_999_000L)).isEqualTo(T + 999_999);
        assertThat(clock.epochMicros(1_000L - 2_000L)).as("a thread that read the time just before the anchor")
            .isEqualTo(T - 2);
    }

    @Test
    void afterASecondTheWallClockIsReadAgain() {
        WallClock wall = new WallClock();
        TraceClock clock = new TraceClock.Anchored(wall, 1_000L);
        wall.micros = T + 1_507_000;

        assertThat(clock.epochMicros(1_000L + 1_500_000_000L)).isEqualTo(T + 1_507_000);
        assertThat(clock.epochMicros(1_000L + 1_500_001_000L)).as("from the new anchor").isEqualTo(T + 1_507_001);
    }

    @Test
    void theSystemClockFollowsTheWallClock() {
        long before = System.currentTimeMillis() * 1000L;
        long micros = TraceClock.SYSTEM.epochMicros();
        long nanoTime = TraceClock.SYSTEM.nanoTime();
        long fromNanoTime = TraceClock.SYSTEM.epochMicros(nanoTime);
        long after = System.currentTimeMillis() * 1000L + 1000L;

        assertThat(micros).isCloseTo((before + after) / 2, within(50_000L));
        assertThat(fromNanoTime).isCloseTo(micros, within(50_000L));
    }

}
