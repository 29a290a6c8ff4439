package dev.tracing.compatibility;

import java.time.Duration;
import java.util.List;

import dev.tracing.export.InMemorySpanStore;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/**
 * The one way these tests wait: Awaitility, checking at once and then every 10 ms, and the
 * waits for a trace's spans built on it.
 *
 * <p>Design notes: a span that arrives twice is the bug these tests look for, so a trace is
 * read only after a quiet period in which no further span arrived, not as soon as it has enough.
 */
final class Waits {

    /** How long a wait lasts unless the test says otherwise: one request through the whole application. */
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** How long no further span may arrive before a trace counts as complete. */
    static final Duration QUIET = Duration.ofMillis(200);

    private Waits() {
    }

    /** A wait that checks at once, then every 10 ms, for up to {@link #TIMEOUT}. */
    static ConditionFactory await() {
        return Awaitility.await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10)).atMost(TIMEOUT);
    }

    /**
     * Waits until the trace has {@code count} spans, then asserts it keeps exactly that many for
     * {@link #QUIET}; returns them.
     */
    static List<FinishedSpan> awaitTrace(InMemorySpanStore store, String traceId, int count) {
        await().until(() -> store.trace(traceId).size() >= count);
        assertNoMoreSpans(store, traceId, count);
        return store.trace(traceId);
    }

    /** Asserts the trace has exactly {@code count} spans throughout {@link #QUIET}: a duplicate would arrive now. */
    static void assertNoMoreSpans(InMemorySpanStore store, String traceId, int count) {
        await().during(QUIET).atMost(Duration.ofSeconds(2)).until(() -> store.trace(traceId).size() == count);
    }

}
