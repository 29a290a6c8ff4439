package dev.tracing.export;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.exporter.SpanReporter;

/**
 * The most recent finished spans, grouped by trace, for the {@code traces} endpoint.
 *
 * <p>Design notes: bounded by a number of spans; when a span would exceed the bound, whole
 * traces are evicted oldest first (by when their first span arrived), since half a trace is of
 * little use. Traces are kept in arrival order in a deque beside an index by trace id, so an
 * insert is constant time (amortized over evictions). One lock guards both: reporting a span
 * holds it for a few field writes, and queries copy what they return.
 */
public final class InMemorySpanStore implements SpanReporter {

    private static final class TraceEntry {

        final String traceId;

        final List<FinishedSpan> spans = new ArrayList<>(4);

        TraceEntry(String traceId) {
            this.traceId = traceId;
        }

    }

    private final int maxSpans;

    private final ArrayDeque<TraceEntry> order = new ArrayDeque<>();

    private final Map<String, TraceEntry> byTraceId = new HashMap<>();

    private int spanCount;

    /**
     * Creates a store of at most {@code maxSpans} spans.
     * @throws IllegalArgumentException when {@code maxSpans} is not positive
     */
    public InMemorySpanStore(int maxSpans) {
        if (maxSpans <= 0) {
            throw new IllegalArgumentException("maxSpans must be positive, was " + maxSpans);
        }
        this.maxSpans = maxSpans;
    }

    @Override
    public void report(FinishedSpan span) {
        String traceId = span.getTraceId();
        if (traceId == null) {
            return;
        }
        synchronized (this) {
            TraceEntry entry = byTraceId.get(traceId);
            if (entry == null) {
                entry = new TraceEntry(traceId);
                byTraceId.put(traceId, entry);
                order.addLast(entry);
            }
            entry.spans.add(span);
            spanCount++;
            while (spanCount > maxSpans) {
                TraceEntry eldest = order.pollFirst();
                byTraceId.remove(eldest.traceId);
                spanCount -= eldest.spans.size();
            }
        }
    }

    /**
     * Returns the spans of up to {@code limit} traces, the trace that arrived last first; each
     * trace's spans in the order they finished.
     */
    public List<List<FinishedSpan>> recentTraces(int limit) {
        List<List<FinishedSpan>> result = new ArrayList<>(Math.min(Math.max(limit, 0), 64));
        synchronized (this) {
            Iterator<TraceEntry> it = order.descendingIterator();
            while (it.hasNext() && result.size() < limit) {
                result.add(new ArrayList<>(it.next().spans));
            }
        }
        return result;
    }

    /** Returns the spans of the trace {@code traceId} in the order they finished, or an empty list. */
    public List<FinishedSpan> trace(String traceId) {
        synchronized (this) {
            TraceEntry entry = byTraceId.get(traceId);
            return entry == null ? Collections.emptyList() : new ArrayList<>(entry.spans);
        }
    }

    /** Returns how many spans are held. */
    public synchronized int spanCount() {
        return spanCount;
    }

    /** Returns how many traces are held. */
    public synchronized int traceCount() {
        return order.size();
    }

    /** Returns the bound on spans held. */
    public int maxSpans() {
        return maxSpans;
    }

    /** Removes every span. */
    public synchronized void clear() {
        order.clear();
        byTraceId.clear();
        spanCount = 0;
    }
}
