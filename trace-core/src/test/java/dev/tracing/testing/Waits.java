package dev.tracing.testing;

import java.time.Duration;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/**
 * The one way this module's tests wait: Awaitility, checking at once and then every 10 ms.
 *
 * <p>Design notes: Awaitility's defaults wait 100 ms before the first check and between checks,
 * which adds up over many waits whose condition mostly holds already; a test that needs more time
 * says so on the returned factory ({@code atMost}).
 */
public final class Waits {

    /** How long a wait lasts unless the test says otherwise. */
    public static final Duration TIMEOUT = Duration.ofSeconds(5);

    private Waits() {
    }

    /** A wait that checks at once, then every 10 ms, for up to {@link #TIMEOUT}. */
    public static ConditionFactory await() {
        return Awaitility.await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10)).atMost(TIMEOUT);
    }

}
