package dev.tracing.test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import dev.tracing.core.SpanLifecycle;
import dev.tracing.export.CallingThreadSpanReporter;
import io.micrometer.tracing.exporter.FinishedSpan;

/**
 * Every span the application finished, in the order they finished, as its exporters receive
 * them: after the span filters and exporting predicates, sampled by the application's own
 * sampler, with its baggage and propagation. The pipeline hands each span over on the thread that
 * ends it, so a span is here the moment {@code end()} returns.
 *
 * <p>In a Spring Boot test this is a bean, emptied before each test method; a span that started
 * before the test method (in an earlier test, or at start-up) and finishes during it is not one of
 * the test's spans, and is left out. Without Spring, {@link TestTracer} owns one.
 *
 * <p>Spans that end on other threads (a Kafka listener, {@code @Async} work, a WebClient call
 * whose answer arrives after the test's request returned) are awaited with the {@code await...}
 * methods, which wait on this object's monitor until the span arrives or the timeout passes,
 * never polling with a sleep. A wait that times out fails with the spans that did arrive, as a
 * tree.
 */
public final class TestSpans implements CallingThreadSpanReporter, SpanLifecycle {

    /** How long the {@code await...} methods wait, without a choice. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /**
     * How many started spans not yet received are remembered: a span the application's filters drop
     * is never received, and the oldest are forgotten beyond this.
     */
    private static final int MAX_STARTED = 10_000;

    private final List<FinishedSpan> spans = new ArrayList<>();

    /** The spans started since the test began and not received yet, by trace and span id; guarded by {@code spans}. */
    private Set<String> startedInTest = startedSpans();

    /** The spans started before the test began and not received since: not the test's when they arrive. */
    private Set<String> startedBeforeTest = startedSpans();

    private volatile Duration timeout = DEFAULT_TIMEOUT;

    /** Receives a finished span; called by the span pipeline. */
    @Override
    public void report(FinishedSpan span) {
        String id = idOf(span);
        synchronized (spans) {
            if (startedBeforeTest.remove(id)) {
                // an earlier test's span, finishing late (a slow filter, a trace held by the keep policy)
                return;
            }
            startedInTest.remove(id);
            spans.add(span);
            spans.notifyAll();
        }
    }

    /** Told by the tracer that {@code span} started, so that it is known as this test's when it arrives. */
    @Override
    public void started(FinishedSpan span) {
        String id = idOf(span);
        synchronized (spans) {
            startedInTest.add(id);
        }
    }

    /** Told by the tracer that {@code span} ended; it arrives in {@link #report} once through the pipeline. */
    @Override
    public void ended(FinishedSpan span) {
    }

    /** Forgets every span received so far. */
    public void clear() {
        synchronized (spans) {
            spans.clear();
        }
    }

    /**
     * Forgets every span received so far, and those started so far that arrive later: the start of a
     * test. A span of the test before may end after that test returned and arrive only once this test
     * runs (the pipeline hands it over after the tracer signals its end, which is what strict mode
     * waits for).
     */
    void startTest() {
        synchronized (spans) {
            spans.clear();
            // those of every test before, not only the last: a span may arrive two tests later
            startedBeforeTest.addAll(startedInTest);
            startedInTest = startedSpans();
        }
    }

    private static String idOf(FinishedSpan span) {
        return span.getTraceId() + '/' + span.getSpanId();
    }

    private static Set<String> startedSpans() {
        return Collections.newSetFromMap(new LinkedHashMap<String, Boolean>() {

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > MAX_STARTED;
            }

        });
    }

    /** How long the {@code await...} methods wait before they fail. */
    public TestSpans timeout(Duration timeout) {
        if (timeout == null || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be zero or positive, was " + timeout);
        }
        this.timeout = timeout;
        return this;
    }

    /** Every span received, in the order they finished. */
    public List<FinishedSpan> all() {
        synchronized (spans) {
            return List.copyOf(spans);
        }
    }

    /** The spans named {@code name}, in the order they finished. */
    public List<FinishedSpan> named(String name) {
        return matching(span -> Objects.equals(span.getName(), name));
    }

    /** The spans of the trace {@code traceId}, in the order they finished. */
    public List<FinishedSpan> trace(String traceId) {
        return matching(span -> Objects.equals(span.getTraceId(), traceId));
    }

    /** The spans {@code filter} accepts, in the order they finished. */
    public List<FinishedSpan> matching(Predicate<? super FinishedSpan> filter) {
        List<FinishedSpan> found = new ArrayList<>();
        for (FinishedSpan span : all()) {
            if (filter.test(span)) {
                found.add(span);
            }
        }
        return found;
    }

    /**
     * The one span named {@code name}.
     * @throws AssertionError when there is none or more than one, showing the spans received
     */
    public FinishedSpan span(String name) {
        List<FinishedSpan> found = named(name);
        if (found.size() != 1) {
            throw new AssertionError("Expected one span named '" + name + "' but found " + found.size()
                    + ". Spans received:" + System.lineSeparator() + tree());
        }
        return found.get(0);
    }

    /**
     * Waits until a span named {@code name} has finished and returns it (the first, if several
     * have).
     * @throws AssertionError when none has within the timeout
     */
    public FinishedSpan awaitSpan(String name) {
        return awaitMatching(span -> Objects.equals(span.getName(), name), 1, "a span named '" + name + "'").get(0);
    }

    /**
     * Waits until {@code count} spans in all have finished; returns them all.
     * @throws AssertionError when fewer have within the timeout
     */
    public List<FinishedSpan> awaitSpans(int count) {
        return awaitMatching(span -> true, count, count + " spans");
    }

    /**
     * Waits until {@code count} spans of the trace {@code traceId} have finished; returns the
     * trace's spans.
     * @throws AssertionError when fewer have within the timeout
     */
    public List<FinishedSpan> awaitTrace(String traceId, int count) {
        return awaitMatching(span -> Objects.equals(span.getTraceId(), traceId), count,
                count + " spans of trace " + traceId);
    }

    /**
     * Waits until at least {@code count} spans that {@code filter} accepts have finished; returns
     * those spans.
     * @param description what is awaited, for the failure message
     * @throws AssertionError when fewer have within the timeout
     */
    public List<FinishedSpan> awaitMatching(Predicate<? super FinishedSpan> filter, int count, String description) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (spans) {
            while (true) {
                List<FinishedSpan> found = new ArrayList<>();
                for (FinishedSpan span : spans) {
                    if (filter.test(span)) {
                        found.add(span);
                    }
                }
                if (found.size() >= count) {
                    return found;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("Waited " + timeout.toMillis() + " ms for " + description + "; "
                            + found.size() + " arrived. Spans received:" + System.lineSeparator()
                            + SpanTree.print(spans));
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(spans, left);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("Interrupted while waiting for " + description, ex);
                }
            }
        }
    }

    /** The spans received, one tree per trace: name, kind, duration, service and tags. */
    public String tree() {
        return SpanTree.print(all());
    }

    @Override
    public String toString() {
        return "TestSpans" + System.lineSeparator() + tree();
    }

}
