package dev.tracing.testing;

import java.time.Duration;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/**
 * The one way this module's tests wait: Awaitility, checking at once and then every 10 ms.
 *
 * <p>Design notes: Awaitility's defaults wait 100 ms before the first check and between checks,
 * which adds up over hundreds of waits whose condition mostly holds already; a test that needs
 * more time or a slower poll says so on the returned factory ({@code atMost}, {@code pollInterval}).
 */
public final class Waits {

    /** How long a wait lasts unless the test says otherwise: what a span needs to end after a response. */
    public static final Duration TIMEOUT = Duration.ofSeconds(5);

    private Waits() {
    }

    /** A wait that checks at once, then every 10 ms, for up to {@link #TIMEOUT}. */
    public static ConditionFactory await() {
        return Awaitility.await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10)).atMost(TIMEOUT);
    }

    /** {@link #await()} with {@code alias} naming what is awaited in the timeout's message. */
    public static ConditionFactory await(String alias) {
        return await().alias(alias);
    }

    /**
     * A wait whose condition must hold throughout {@code quiet} (within 2 s): that nothing more
     * arrives, such as a second span for one exchange.
     */
    public static ConditionFactory throughout(Duration quiet) {
        return await().during(quiet).atMost(Duration.ofSeconds(2));
    }

}
