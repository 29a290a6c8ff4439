package dev.tracing.export;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

import dev.tracing.core.RecordedSpan;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.exporter.SpanReporter;

/**
 * The most recent finished spans, grouped by trace, for the {@code traces} endpoint.
 *
 * <p>Design notes: bounded by a number of spans, and by a number of spans per trace (so a caller
 * that reuses one trace id cannot push every other trace out); when a span would exceed the
 * bound, whole traces are evicted oldest first (by when their first span arrived), since half a
 * trace is of little use. With the span limits of the tracer, that bounds the store's bytes too.
 * Traces are kept in arrival order in a deque beside an index by trace id, so an insert is
 * constant time (amortized over evictions). Each trace keeps its summary (root name, start, end,
 * error) up to date as spans arrive, so listing recent traces reads only as many entries as it
 * returns. One lock guards all of it: reporting a span holds it for a few field writes (all
 * but the later spans of a refused trace, below), and queries copy what they return.
 *
 * <p>New traces can be limited to a number per second. Without a limit, a busy service at 100%
 * sampling turns the whole store over in well under a second, so every span it holds is still
 * young at the next young collection and is copied by it: the collector's pauses grow with the
 * store, and every request waits for them. With the limit, the store keeps a steady sample of
 * recent traces over a longer time, and most spans are never retained at all. The decision is
 * made once per trace, by its first span to arrive: the ids of recently refused traces are
 * remembered (a small table, overwritten as it goes), so the trace's later spans are refused too
 * and a kept trace is whole. Those later spans are refused before the lock: at full load almost
 * every span ends in a refused trace, and a lock that the event-loop threads take in turn for each
 * of them moves between their cores on every span. The table is read without the lock; a read that
 * misses a refusal only sends the span on to the locked check, which decides as before.
 */
public final class InMemorySpanStore implements CallingThreadSpanReporter {

    private static final class TraceEntry {

        final String traceId;

        final List<FinishedSpan> spans = new ArrayList<>(4);

        /** The root span (no parent), once it arrived; else null. */
        FinishedSpan root;

        /** The span that started first, standing in for the root while it is missing. */
        FinishedSpan earliest;

        long firstStart = Long.MAX_VALUE;

        long lastEnd = Long.MIN_VALUE;

        boolean error;

        /** Why the trace was recorded, from the first local root of ours that says. */
        String sampledBy;

        TraceEntry(String traceId) {
            this.traceId = traceId;
        }

        /** Keeps the summary current as a span arrives: O(1), under the store's lock. */
        void add(FinishedSpan span) {
            spans.add(span);
            long start = ZipkinV2JsonEncoder.startMicros(span);
            if (start < firstStart) {
                firstStart = start;
                earliest = span;
            }
            lastEnd = Math.max(lastEnd, ZipkinV2JsonEncoder.endMicros(span));
            if (root == null && (span.getParentId() == null || span.getParentId().isEmpty())) {
                root = span;
            }
            error |= span.getError() != null || span.getTags().containsKey("error");
            // the trace's root says best why it was recorded; another local root of it (a server
            // span here of a trace this service started) may arrive first
            if (span instanceof RecordedSpan recorded && recorded.sampledBy() != null
                    && (sampledBy == null || span == root)) {
                sampledBy = recorded.sampledBy();
            }
        }

        Summary summary() {
            FinishedSpan named = root != null ? root : earliest;
            return new Summary(traceId, named.getName(), named.getLocalServiceName(), named.getKind(), firstStart,
                    Math.max(0L, lastEnd - firstStart), spans.size(), error, sampledBy);
        }

    }

    /**
     * What the store knows of one trace without reading its spans.
     * @param traceId the trace id in lower-case hex: 32 characters, or 16 for a 64-bit id
     * @param name the root span's name, or the earliest span's while the root is not in the store
     * @param serviceName the service of that span
     * @param kind the kind of that span, null for a local span
     * @param timestamp when the trace's first span started, in epoch microseconds
     * @param duration from the first start to the last end, in microseconds
     * @param spanCount how many of the trace's spans are in the store
     * @param error whether any span of the trace recorded an error
     * @param sampledBy why the trace was recorded ({@link RecordedSpan#sampledBy()} of its local
     * root), or null when no span says
     */
    public record Summary(String traceId, String name, String serviceName, Span.Kind kind, long timestamp,
            long duration, int spanCount, boolean error, String sampledBy) {
    }

    /** Why a span was not kept: its trace already has {@code maxSpansPerTrace} spans here. */
    public static final String TRACE_FULL = "trace_full";

    /**
     * Why a span was not kept: its trace was new when the store had taken its new traces for that
     * second, and is refused whole.
     */
    public static final String RATE_LIMITED = "rate_limited";

    /** The spans of one trace a store built without a choice keeps at most. */
    public static final int DEFAULT_MAX_SPANS_PER_TRACE = 1000;

    /** Slots of the table of recently refused trace ids (a power of two). */
    private static final int REFUSED_SLOTS = 4096;

    private static final long SECOND_NANOS = 1_000_000_000L;

    /** Distinct names and tag values remembered for sharing at most. */
    private static final int SHARED_STRINGS = 4096;

    private final int maxSpans;

    private final int maxTracesPerSecond;

    private final int maxSpansPerTrace;

    private final LongSupplier nanoTime;

    private long droppedTraceFull;

    private long droppedRateLimited;

    /** Spans refused before the lock, as later spans of a refused trace. */
    private final LongAdder droppedRefusedTrace = new LongAdder();

    /**
     * Refused trace ids, as 64-bit hashes in slots by hash; null without a limit. Hashes, not the
     * ids: at full load thousands of ids are refused a second, and a table of strings in the old
     * generation would keep each alive, and copied, through a young collection or two. Written under
     * the lock, read without it.
     */
    private final long[] refused;

    private long windowStart;

    private int tracesInWindow;

    /**
     * One instance of each span name and tag value recently kept: the spans of one route repeat
     * the same strings ({@code url.full}, the name, the address), each request with its own copy.
     * Cleared when full, so it follows what the service is doing now.
     */
    private final Map<String, String> shared = new HashMap<>();

    /** Swaps a tag's value for the shared one; one function for the store, not one per span. */
    private final BiFunction<String, String, String> sharing = (key, value) -> share(value);

    private final ArrayDeque<TraceEntry> order = new ArrayDeque<>();

    private final Map<String, TraceEntry> byTraceId = new HashMap<>();

    private int spanCount;

    /** The spans a store built without a choice keeps at most. */
    public static final int DEFAULT_MAX_SPANS = 10_000;

    /** The new traces a second a store built without a choice takes at most. */
    public static final int DEFAULT_MAX_TRACES_PER_SECOND = 100;

    /** A store of at most {@code maxSpans} spans that takes every trace. */
    InMemorySpanStore(int maxSpans) {
        this(maxSpans, 0);
    }

    InMemorySpanStore(int maxSpans, int maxTracesPerSecond) {
        this(maxSpans, maxTracesPerSecond, DEFAULT_MAX_SPANS_PER_TRACE, System::nanoTime);
    }

    InMemorySpanStore(int maxSpans, int maxTracesPerSecond, LongSupplier nanoTime) {
        this(maxSpans, maxTracesPerSecond, DEFAULT_MAX_SPANS_PER_TRACE, nanoTime);
    }

    InMemorySpanStore(int maxSpans, int maxTracesPerSecond, int maxSpansPerTrace, LongSupplier nanoTime) {
        this.maxSpans = Builder.checkMaxSpans(maxSpans);
        this.maxTracesPerSecond = Builder.checkMaxTracesPerSecond(maxTracesPerSecond);
        this.maxSpansPerTrace = Builder.checkMaxSpans(maxSpansPerTrace);
        this.nanoTime = nanoTime;
        this.windowStart = nanoTime.getAsLong();
        this.refused = maxTracesPerSecond > 0 ? new long[REFUSED_SLOTS] : null;
    }

    /** Returns a builder with {@link #DEFAULT_MAX_SPANS} and {@link #DEFAULT_MAX_TRACES_PER_SECOND}. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void report(FinishedSpan span) {
        String traceId = span.getTraceId();
        if (traceId == null) {
            return;
        }
        long hash = 0L;
        if (refused != null) {
            hash = hash64(traceId);
            if (refused[slot(hash)] == hash) {
                droppedRefusedTrace.increment();
                return;
            }
        }
        synchronized (this) {
            TraceEntry entry = byTraceId.get(traceId);
            if (entry == null) {
                if (refused != null && !admitNewTrace(hash)) {
                    droppedRateLimited++;
                    return;
                }
                entry = new TraceEntry(traceId);
                byTraceId.put(traceId, entry);
                order.addLast(entry);
            }
            else if (entry.spans.size() >= maxSpansPerTrace) {
                // one trace id (a caller that reuses it) cannot push every other trace out
                droppedTraceFull++;
                return;
            }
            if (span instanceof RecordedSpan recorded) {
                shareRepeatedStrings(recorded);
            }
            entry.add(span);
            spanCount++;
            while (spanCount > maxSpans) {
                TraceEntry eldest = order.pollFirst();
                byTraceId.remove(eldest.traceId);
                spanCount -= eldest.spans.size();
            }
        }
    }

    /**
     * Replaces the span's name and tag values by equal strings the store already
     * holds, so that thousands of kept spans share them instead of each keeping its own. Only equal
     * strings are swapped in, so what any reader of the span sees does not change. Called under
     * the lock.
     */
    private void shareRepeatedStrings(RecordedSpan span) {
        String name = span.getName();
        String sharedName = share(name);
        if (sharedName != name) {
            span.setName(sharedName);
        }
        span.getTags().replaceAll(sharing);
    }

    private String share(String value) {
        if (value == null) {
            return null;
        }
        String existing = shared.get(value);
        if (existing != null) {
            return existing;
        }
        if (shared.size() >= SHARED_STRINGS) {
            shared.clear();
        }
        shared.put(value, value);
        return value;
    }

    /**
     * Whether a trace not held now, whose id hashes to {@code hash}, is taken; called under the lock,
     * with a limit set.
     */
    private boolean admitNewTrace(long hash) {
        int slot = slot(hash);
        if (refused[slot] == hash) {
            return false;
        }
        long now = nanoTime.getAsLong();
        if (now - windowStart >= SECOND_NANOS) {
            windowStart = now;
            tracesInWindow = 0;
        }
        if (tracesInWindow < maxTracesPerSecond) {
            tracesInWindow++;
            return true;
        }
        refused[slot] = hash;
        return false;
    }

    private static int slot(long hash) {
        return (int) hash & (REFUSED_SLOTS - 1);
    }

    /**
     * FNV-1a over the id's characters, never 0 (an empty slot): a kept trace loses a span only if
     * another id refused within the same moments shares all 64 bits.
     */
    static long hash64(String traceId) {
        long hash = 0xcbf29ce484222325L;
        for (int i = 0, n = traceId.length(); i < n; i++) {
            hash ^= traceId.charAt(i);
            hash *= 0x100000001b3L;
        }
        return hash == 0 ? 1 : hash;
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

    /**
     * Returns the summaries of up to {@code limit} traces that {@code filter} accepts, the trace
     * that arrived last first. Costs the lock for as many traces as it looks at (with no filter,
     * {@code limit}), never a copy of the spans: the endpoint polls this while span ends take the
     * same lock (each span of a kept trace, and the first of every trace).
     */
    public List<Summary> recentSummaries(int limit, Predicate<? super Summary> filter) {
        List<Summary> result = new ArrayList<>(Math.min(Math.max(limit, 0), 64));
        synchronized (this) {
            Iterator<TraceEntry> it = order.descendingIterator();
            while (it.hasNext() && result.size() < limit) {
                Summary summary = it.next().summary();
                if (filter == null || filter.test(summary)) {
                    result.add(summary);
                }
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

    /** Returns the bound on spans held of one trace. */
    public int maxSpansPerTrace() {
        return maxSpansPerTrace;
    }

    /** Spans not kept, by reason: {@link #TRACE_FULL} or {@link #RATE_LIMITED}. */
    public synchronized long droppedCount(String reason) {
        return TRACE_FULL.equals(reason) ? droppedTraceFull
                : RATE_LIMITED.equals(reason) ? droppedRateLimited + droppedRefusedTrace.sum() : 0L;
    }

    /** Returns the bound on new traces taken per second; 0 when there is none. */
    public int maxTracesPerSecond() {
        return maxTracesPerSecond;
    }

    /** Removes every span. */
    public synchronized void clear() {
        order.clear();
        byTraceId.clear();
        shared.clear();
        spanCount = 0;
        if (refused != null) {
            Arrays.fill(refused, 0L);
        }
        droppedTraceFull = 0;
        droppedRateLimited = 0;
        droppedRefusedTrace.reset();
    }
    /** Configures an {@link InMemorySpanStore}. */
    public static final class Builder {

        private int maxSpans = DEFAULT_MAX_SPANS;

        private int maxTracesPerSecond = DEFAULT_MAX_TRACES_PER_SECOND;

        private int maxSpansPerTrace = DEFAULT_MAX_SPANS_PER_TRACE;

        private Builder() {
        }

        /**
         * The spans of one trace kept at most; later ones are dropped and counted
         * ({@link #TRACE_FULL}), so a caller reusing a trace id cannot fill the store.
         * @throws IllegalArgumentException when it is not positive
         */
        public Builder maxSpansPerTrace(int maxSpansPerTrace) {
            this.maxSpansPerTrace = checkMaxSpans(maxSpansPerTrace);
            return this;
        }

        /**
         * The spans kept at most; when a span would exceed it, whole traces are evicted oldest first.
         * @throws IllegalArgumentException when it is not positive
         */
        public Builder maxSpans(int maxSpans) {
            this.maxSpans = checkMaxSpans(maxSpans);
            return this;
        }

        /**
         * The new traces taken per second at most, each whole; 0 for no limit.
         * @throws IllegalArgumentException when it is negative
         */
        public Builder maxTracesPerSecond(int maxTracesPerSecond) {
            this.maxTracesPerSecond = checkMaxTracesPerSecond(maxTracesPerSecond);
            return this;
        }

        /** Returns the store. */
        public InMemorySpanStore build() {
            return new InMemorySpanStore(maxSpans, maxTracesPerSecond, maxSpansPerTrace, System::nanoTime);
        }

        static int checkMaxSpans(int maxSpans) {
            if (maxSpans <= 0) {
                throw new IllegalArgumentException("must be positive, was " + maxSpans);
            }
            return maxSpans;
        }

        static int checkMaxTracesPerSecond(int maxTracesPerSecond) {
            if (maxTracesPerSecond < 0) {
                throw new IllegalArgumentException("must not be negative (0 is no limit), was " + maxTracesPerSecond);
            }
            return maxTracesPerSecond;
        }

    }

}
