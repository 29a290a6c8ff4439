package dev.tracing.export;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

import dev.tracing.core.RecordedSpan;
import dev.tracing.core.SpanContext;
import dev.tracing.internal.HexCodec;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.exporter.SpanReporter;

/**
 * The most recent finished spans, grouped by trace, for the {@code traces} endpoint.
 *
 * <p>Design notes: bounded by a number of spans, and by a number of spans per trace (so a caller
 * that reuses one trace id cannot push every other trace out); when a span would exceed the
 * bound, whole traces are evicted oldest first (by when their first span arrived), since half a
 * trace is of little use. With the span limits of the tracer, that bounds the store's bytes too: a
 * span's exception is kept as an {@link ErrorSummary} (its type and its message, cut as a tag value),
 * since the exception itself can hold a response body, a stack trace and causes.
 * Traces are kept in arrival order in a deque beside an index by trace id, so an insert is
 * constant time (amortized over evictions). Each trace keeps its summary (root name, start, end,
 * error) up to date as spans arrive, so listing recent traces reads only as many entries as it
 * returns. One lock guards all of it: reporting a span holds it for a few field writes (spans
 * refused before it aside, below), and queries copy what they return.
 *
 * <p>New traces can be limited to a number per second. Without a limit, a busy service at 100%
 * sampling turns the whole store over in well under a second, so every span it holds is still
 * young at the next young collection and is copied by it: the collector's pauses grow with the
 * store, and every request waits for them. With the limit, the store keeps a steady sample of
 * recent traces over a longer time, and most spans are never retained at all. The decision is
 * made once per trace, by its first span to arrive: the ids of recently refused traces are
 * remembered (a small table, overwritten as it goes), so the trace's later spans are refused too
 * and a kept trace is whole.
 *
 * <p>At full load almost every span ends in a refused trace, and a lock that the event-loop
 * threads take in turn for each of them moves between their cores on every span; so spans are
 * refused before the lock where that can be decided without it. A later span of a refused trace is
 * found in the table of refused traces. Once a second's new traces are all taken, the first span of
 * a trace the store does not hold is told so by {@code HeldTraceHashes}, a table of the held
 * traces' hashes read as under a sequence lock, and its refusal is written to the refused table
 * without the lock. Whatever these reads cannot answer goes to the locked check, which decides by
 * the trace id. In the last millisecond of a second the lock decides too, so that a refusal written
 * without it is in the table before any thread opens the next second; only a thread paused for
 * longer between reading the clock and writing its refusal could let the next second keep that
 * trace and the table refuse its later spans. A refusal lost to another write in its slot (or
 * overwritten later, as the table goes) lets a later second keep the trace without its earlier
 * spans. The tables cost 32 KB, and up to 32 bytes per span of the store's
 * bound (256 KB for the default 10,000 spans); above {@code MAX_TABLED_SPANS} the held traces are not
 * tabled and first spans take the lock. Traces are hashed from the two longs of our spans' ids, not
 * from their 32 characters.
 */
public final class InMemorySpanStore implements CallingThreadSpanReporter {

    private static final class TraceEntry {

        final String traceId;

        /**
         * The id's {@link InMemorySpanStore#traceHash(FinishedSpan, String)}, as the held traces'
         * table has it; 0 in a store without a limit.
         */
        final long hash;

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

        /**
         * The summary as of the last span that arrived: a filtered look through the store reads it
         * without the lock ({@link #recentSummaries}).
         */
        volatile Summary current;

        /** Set once the trace is evicted or cleared, under the lock. */
        volatile boolean evicted;

        TraceEntry(String traceId, long hash) {
            this.traceId = traceId;
            this.hash = hash;
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
            current = summary();
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

    /**
     * Chosen at random once per JVM, so that which trace ids hash alike cannot be known from
     * outside; hashes agree within the JVM, between every store and the tests.
     */
    private static final long HASH_SEED = ThreadLocalRandom.current().nextLong();

    /** The end of a full second in which first spans are refused by the lock only. */
    private static final long TURN_NANOS = 1_000_000L;

    /**
     * The largest store whose held traces are tabled for refusing without the lock: the table takes
     * up to 32 bytes per span of the bound (2 MB here), which a store larger still does not spend.
     */
    static final int MAX_TABLED_SPANS = 1 << 16;

    private static final long SECOND_NANOS = 1_000_000_000L;

    /** Distinct names and tag values remembered for sharing at most. */
    private static final int SHARED_STRINGS = 4096;

    private final int maxSpans;

    private final int maxTracesPerSecond;

    private final int maxSpansPerTrace;

    private final LongSupplier nanoTime;

    private long droppedTraceFull;

    private long droppedRateLimited;

    /** Spans that were held and left with their trace, evicted for newer ones. */
    private long evictedSpans;

    /**
     * Spans refused before the lock: a later span of a refused trace, or the first of a trace while
     * the second's new traces are taken.
     */
    private final LongAdder droppedRefusedTrace = new LongAdder();

    /**
     * Refused trace ids, as 64-bit hashes in slots by hash; null without a limit. Hashes, not the
     * ids: at full load thousands of ids are refused a second, and a table of strings in the old
     * generation would keep each alive, and copied, through a young collection or two. Written under
     * the lock and by a refusal before it, read without it.
     */
    private final long[] refused;

    /**
     * The held traces' hashes, for refusing a new trace's first span without the lock; null without
     * a limit, or above {@link #MAX_TABLED_SPANS}. Written under the lock, read without it.
     */
    private final HeldTraceHashes held;

    private long windowStart;

    private int tracesInWindow;

    /**
     * The end of the current second once its new traces are all taken ({@link #nanoTime}'s units),
     * written after the trace that took the last of them is in {@link #held}; before it, a trace not
     * held is refused without the lock. While new traces are taken it is no later than the second's
     * start.
     */
    private volatile long fullUntil;

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
        this.fullUntil = windowStart;
        this.refused = maxTracesPerSecond > 0 ? new long[REFUSED_SLOTS] : null;
        this.held = maxTracesPerSecond > 0 && maxSpans <= MAX_TABLED_SPANS ? new HeldTraceHashes(maxSpans) : null;
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
            hash = traceHash(span, traceId);
            if (refused[slot(hash)] == hash || refusedWithoutLock(hash)) {
                droppedRefusedTrace.increment();
                return;
            }
        }
        if (span instanceof RecordedSpan recorded) {
            // an exception is kept as its type and message: it may hold far more than the span (a response body)
            span = recorded.withErrorSummary();
        }
        synchronized (this) {
            TraceEntry entry = byTraceId.get(traceId);
            if (entry == null) {
                if (refused != null && !admitNewTrace(hash)) {
                    droppedRateLimited++;
                    return;
                }
                entry = new TraceEntry(traceId, hash);
                byTraceId.put(traceId, entry);
                order.addLast(entry);
                if (held != null) {
                    held.beginWrite();
                    held.add(hash);
                    held.endWrite();
                    // only now, so that a reader that sees the second full also finds this trace
                    if (tracesInWindow == maxTracesPerSecond) {
                        fullUntil = windowStart + SECOND_NANOS;
                    }
                }
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
            if (spanCount > maxSpans) {
                evictEldest();
            }
        }
    }

    /** Evicts whole traces, oldest first, until the bound holds again; called under the lock. */
    private void evictEldest() {
        if (held != null) {
            held.beginWrite();
        }
        while (spanCount > maxSpans) {
            TraceEntry eldest = order.pollFirst();
            eldest.evicted = true;
            byTraceId.remove(eldest.traceId);
            spanCount -= eldest.spans.size();
            evictedSpans += eldest.spans.size();
            if (held != null) {
                held.remove(eldest.hash);
            }
        }
        if (held != null) {
            held.endWrite();
        }
    }

    /**
     * Whether the first span of a trace is refused without the lock: this second's new traces are
     * taken, and a read of {@link #held} that no write overlapped does not find the hash. Remembers
     * the refusal as the lock's holder would, so that the trace's later spans are refused too, in
     * later seconds as well (while its slot is not taken by another refusal).
     */
    private boolean refusedWithoutLock(long hash) {
        if (held == null) {
            return false;
        }
        long lockFreeUntil = fullUntil - TURN_NANOS;
        if (nanoTime.getAsLong() - lockFreeUntil >= 0 || !held.surelyAbsent(hash)) {
            return false;
        }
        refused[slot(hash)] = hash;
        return true;
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
     * The 64-bit hash of a span's trace id, never 0 (an empty slot): from the two longs of our spans'
     * ids, from the parsed characters of another tracer's lower-hex id (so one id hashes alike from
     * either), else {@link #hash64}. Between two ids, a kept trace loses a span to the other's
     * refusal only if the two share all 64 bits: about one chance in 2^64 for any pair of hex ids,
     * chosen or not (see {@link #traceHash(long, long)}). An id that is not lower-case hex (no
     * propagation format gives one) hashes by its characters, whose collisions can be built.
     */
    static long traceHash(FinishedSpan span, String traceId) {
        if (span instanceof RecordedSpan recorded) {
            SpanContext context = recorded.context();
            return traceHash(context.traceIdHigh(), context.traceIdLow());
        }
        return traceHash(traceId);
    }

    /** The hash of another tracer's span with this id. */
    static long traceHash(String traceId) {
        int length = traceId.length();
        if ((length == 16 || length == 32) && HexCodec.isLowerHex(traceId, 0, length)) {
            long high = length == 32 ? HexCodec.parseHex64(traceId, 0, 16) : 0L;
            // our id with a zero high half is 16 characters: the 32 of another tracer are another key
            if (length == 16 || high != 0L) {
                return traceHash(high, HexCodec.parseHex64(traceId, length - 16, length));
            }
        }
        return hash64(traceId);
    }

    /**
     * Mixes the two halves of an id, so that every bit of the id moves the slots. The high half is
     * mixed with this JVM's {@link #HASH_SEED} before the low half is added: with a plain linear
     * combination, anyone who knew a held trace's id could compute another id of the same hash
     * and, with one span refused under it, have every later span of the held trace refused.
     */
    static long traceHash(long high, long low) {
        long hash = mix(mix(high ^ HASH_SEED) + low);
        return hash == 0 ? 1 : hash;
    }

    /** murmur3's 64-bit finalizer: a bijection that spreads every input bit over the output. */
    private static long mix(long value) {
        value = (value ^ (value >>> 33)) * 0xff51afd7ed558ccdL;
        value = (value ^ (value >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return value ^ (value >>> 33);
    }

    /** FNV-1a over the id's characters, never 0. */
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
     * that arrived last first. The endpoint polls this while span ends take the same lock (each span
     * of a kept trace, and the first of a trace while the second still takes new ones or the held
     * traces' table cannot answer), and a filter that matches few traces looks through all of them:
     * so the lock is held only to list the traces (a copy of their references), and each trace's
     * summary, kept current as its spans arrive, is read and filtered without it. A trace evicted
     * meanwhile is left out. Without a filter, the lock is held for {@code limit} traces. Never a
     * copy of the spans.
     */
    public List<Summary> recentSummaries(int limit, Predicate<? super Summary> filter) {
        List<Summary> result = new ArrayList<>(Math.min(Math.max(limit, 0), 64));
        if (limit <= 0) {
            return result;
        }
        if (filter == null) {
            synchronized (this) {
                Iterator<TraceEntry> it = order.descendingIterator();
                while (it.hasNext() && result.size() < limit) {
                    result.add(it.next().current);
                }
            }
            return result;
        }
        TraceEntry[] entries;
        synchronized (this) {
            entries = order.toArray(new TraceEntry[0]);
        }
        for (int i = entries.length - 1; i >= 0 && result.size() < limit; i--) {
            TraceEntry entry = entries[i];
            Summary summary = entry.current;
            if (!entry.evicted && filter.test(summary)) {
                result.add(summary);
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

    /**
     * Spans that were held and have been evicted, with their whole trace, for newer ones: every span
     * reported is held, dropped ({@link #droppedCount}) or evicted.
     */
    public synchronized long evictedCount() {
        return evictedSpans;
    }

    /** Returns the bound on new traces taken per second; 0 when there is none. */
    public int maxTracesPerSecond() {
        return maxTracesPerSecond;
    }

    /** Removes every span. */
    public synchronized void clear() {
        for (TraceEntry entry : order) {
            entry.evicted = true;
        }
        order.clear();
        byTraceId.clear();
        shared.clear();
        spanCount = 0;
        if (refused != null) {
            Arrays.fill(refused, 0L);
        }
        if (held != null) {
            held.beginWrite();
            held.clear();
            held.endWrite();
        }
        droppedTraceFull = 0;
        droppedRateLimited = 0;
        droppedRefusedTrace.reset();
        evictedSpans = 0;
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
