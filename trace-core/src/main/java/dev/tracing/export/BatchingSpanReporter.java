package dev.tracing.export;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import dev.tracing.core.RecordedSpan;
import dev.tracing.internal.ExportThread;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.exporter.SpanReporter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands finished spans to {@link SpanExporter}s in batches from background threads, so the thread
 * that ends a span never waits for a backend. Each exporter has a bounded queue and a thread of
 * its own: spans wait in the queue; when it is full the span is dropped for that exporter and
 * counted. The thread sends a batch when it has {@code maxBatchSize} spans or
 * {@code scheduleDelay} after the first one arrived; a batch the exporter fails to send is dropped
 * and counted, and the next one is tried as usual, so export resumes by itself when the backend is
 * back. The first failure of each kind is logged at WARN, the same kind again at most once a
 * minute. {@link #close()} sends what is queued, within the timeout, then stops the threads.
 *
 * <p>Design notes: as OpenTelemetry's BatchSpanProcessor, and unlike zipkin-reporter's
 * AsyncReporter, nothing is encoded on the thread that ends the span (AsyncReporter sizes each
 * span in bytes when it is reported, to bound its queue by bytes): the request path is one
 * {@code offer} to an {@link ArrayBlockingQueue} per exporter. The queues are bounded by spans, so
 * their memory is bounded by what each span recorded. A queue and a thread per exporter cost a
 * second queue and thread when Zipkin and OTLP are both on, and buy that a slow or dead backend
 * never delays the other. Reported spans are not immutable: {@code FinishedSpan} has setters, the
 * span filters have used them before, and the in-memory store swaps a span's strings for equal
 * shared ones; an exporter must not change them, since every exporter receives the same instances.
 * Each exporter bounds its own calls by the timeout.
 */
public final class BatchingSpanReporter implements CallingThreadSpanReporter {

    /** Dropped because the exporter's queue was full when the span ended: a reason {@link #droppedCount(String, String)} takes. */
    public static final String QUEUE_FULL = "queue_full";

    /** Dropped because the backend failed, refused the batch or did not answer in time. */
    public static final String EXPORT_FAILED = "export_failed";

    /** Dropped because the reporter was closing or closed: still queued when the close timeout ran out, or ended after. */
    public static final String SHUTDOWN = "shutdown";

    /** The spans that may wait for export at most, without a choice. */
    public static final int DEFAULT_MAX_QUEUE_SIZE = 10_000;

    /** The spans sent in one request at most, without a choice. */
    public static final int DEFAULT_MAX_BATCH_SIZE = 512;

    /** How long the first queued span waits for a batch to fill, without a choice. */
    public static final Duration DEFAULT_SCHEDULE_DELAY = Duration.ofSeconds(1);

    /** The time one export and the flush at close may take, without a choice. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /** The longest timeout, about 24.8 days: longer ones are surely a unit mistake, and fit no int milliseconds. */
    public static final Duration MAX_TIMEOUT = Duration.ofMillis(Integer.MAX_VALUE);

    /** How often the same kind of export failure is logged again at most. */
    static final long FAILURE_LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private static final Logger logger = LoggerFactory.getLogger(BatchingSpanReporter.class);

    private final List<Lane> lanes;

    private final long timeoutNanos;

    private final AtomicBoolean closed = new AtomicBoolean();

    private BatchingSpanReporter(Builder builder) {
        this.timeoutNanos = builder.timeout.toNanos();
        List<Lane> lanes = new ArrayList<>(builder.exporters.size());
        List<String> names = new ArrayList<>(builder.exporters.size());
        for (SpanExporter exporter : builder.exporters) {
            // two exporters of one kind (two OTLP collectors) are counted apart: the second is "otlp-2"
            String name = exporter.name();
            for (int n = 2; names.contains(name); n++) {
                name = exporter.name() + "-" + n;
            }
            names.add(name);
            String threadName = builder.exporters.size() == 1 ? builder.threadName : builder.threadName + "-" + name;
            lanes.add(new Lane(exporter, name, builder.maxQueueSize, builder.maxBatchSize,
                    builder.scheduleDelay.toNanos(), threadName));
        }
        this.lanes = List.copyOf(lanes);
        for (Lane lane : this.lanes) {
            lane.worker.start();
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Queues the span for each exporter; drops and counts it for an exporter whose queue is full
     * ({@link #QUEUE_FULL}), and for all when the reporter is closed ({@link #SHUTDOWN}). A span
     * that recorded an exception is queued with a summary of it for the exporters that
     * {@linkplain SpanExporter#readsErrorSummaryOnly() read no more}.
     */
    @Override
    public void report(FinishedSpan span) {
        FinishedSpan summarized = null;
        for (int i = 0, n = lanes.size(); i < n; i++) {
            Lane lane = lanes.get(i);
            FinishedSpan queued = span;
            if (lane.errorSummaryOnly && span.getError() != null && span instanceof RecordedSpan recorded) {
                if (summarized == null) {
                    summarized = recorded.withErrorSummary();
                }
                queued = summarized;
            }
            lane.offer(queued);
        }
    }

    /** Spans waiting in the fullest exporter's queue. */
    public int queueSize() {
        int size = 0;
        for (Lane lane : lanes) {
            size = Math.max(size, lane.queue.size());
        }
        return size;
    }

    /**
     * The exporters' names, in the order they were added; an exporter whose name an earlier one has gets
     * a number ({@code otlp-2}).
     */
    public List<String> exporterNames() {
        return lanes.stream().map(lane -> lane.name).toList();
    }

    /** Spans each exporter's backend accepted, by exporter name. */
    public long exportedCount(String exporter) {
        Lane lane = lane(exporter);
        return lane != null ? lane.exported.sum() : 0L;
    }

    /**
     * Spans an exporter did not send, by reason: {@link #QUEUE_FULL} (its queue was full when the
     * span ended), {@link #EXPORT_FAILED} (the backend failed, refused or did not answer in time)
     * and {@link #SHUTDOWN} (still queued when the close timeout ran out, or reported after
     * {@link #close()}).
     */
    public long droppedCount(String exporter, String reason) {
        Lane lane = lane(exporter);
        if (lane == null) {
            return 0L;
        }
        switch (reason) {
            case QUEUE_FULL:
                return lane.queueFull.sum();
            case EXPORT_FAILED:
                return lane.failed.sum();
            case SHUTDOWN:
                return lane.shutdown.sum();
            default:
                return 0L;
        }
    }

    private Lane lane(String exporter) {
        for (Lane lane : lanes) {
            if (lane.name.equals(exporter)) {
                return lane;
            }
        }
        return null;
    }

    /**
     * Stops accepting spans, sends what is queued within the timeout (the exporters in parallel),
     * counts what is left as dropped, stops the threads and closes the exporters.
     */
    @Override
    public void close() {
        if (beginClose()) {
            finishClose(System.nanoTime() + timeoutNanos);
        }
    }

    /**
     * Closes {@code reporters} as {@link #close()} does, together: each stops taking spans at once,
     * and all send what they hold within one deadline, the longest of their timeouts from now, not one
     * timeout after another. One whose close had begun already is left to it.
     */
    public static void closeTogether(Collection<BatchingSpanReporter> reporters) {
        List<BatchingSpanReporter> closing = new ArrayList<>(reporters.size());
        long timeout = 0L;
        for (BatchingSpanReporter reporter : reporters) {
            if (reporter.beginClose()) {
                closing.add(reporter);
                timeout = Math.max(timeout, reporter.timeoutNanos);
            }
        }
        long deadline = System.nanoTime() + timeout;
        for (BatchingSpanReporter reporter : closing) {
            reporter.finishClose(deadline);
        }
    }

    /**
     * Takes no more spans and has every worker send what it holds; returns false when closing had
     * begun already. Then {@link #finishClose}: several reporters closed together share one deadline.
     */
    private boolean beginClose() {
        if (!closed.compareAndSet(false, true)) {
            return false;
        }
        for (Lane lane : lanes) {
            lane.drain();
        }
        return true;
    }

    /** Waits for the workers until {@code deadline} (nanoTime), counts what is left, closes the exporters. */
    private void finishClose(long deadline) {
        for (Lane lane : lanes) {
            lane.awaitDrained(deadline);
        }
        for (Lane lane : lanes) {
            try {
                lane.exporter.close();
            }
            catch (RuntimeException ex) {
                logger.debug("Closing the {} exporter failed", lane.name, ex);
            }
        }
    }

    @Override
    public String toString() {
        return "BatchingSpanReporter" + exporterNames();
    }

    /** One exporter with its queue, its thread and its counters. */
    private final class Lane {

        final SpanExporter exporter;

        /** Whether the exporter reads only the type and message of a span's exception. */
        final boolean errorSummaryOnly;

        final ArrayBlockingQueue<FinishedSpan> queue;

        final int maxBatchSize;

        final long scheduleDelayNanos;

        final Thread worker;

        final LongAdder exported = new LongAdder();

        final LongAdder failed = new LongAdder();

        final LongAdder shutdown = new LongAdder();

        final LongAdder queueFull = new LongAdder();

        /** The exporter's name, numbered when an earlier exporter has it. */
        final String name;

        /** When each kind of failure was last logged (nanoTime), and how many happened since; worker thread only. */
        final Map<String, long[]> failureLog = new HashMap<>();

        /** Set by {@link #close()}: the worker sends what is left and stops. */
        volatile boolean draining;

        /** Whether the worker is in an export, which an interrupt must not cut short; guarded by itself. */
        private boolean exporting;

        Lane(SpanExporter exporter, String name, int maxQueueSize, int maxBatchSize, long scheduleDelayNanos,
                String threadName) {
            this.exporter = exporter;
            this.errorSummaryOnly = exporter.readsErrorSummaryOnly();
            this.name = name;
            this.queue = new ArrayBlockingQueue<>(maxQueueSize);
            this.maxBatchSize = maxBatchSize;
            this.scheduleDelayNanos = scheduleDelayNanos;
            this.worker = new ExportThread(this::run, threadName);
        }

        /**
         * Makes the worker send what is queued without waiting for more: an idle worker is woken
         * by an interrupt, one that is exporting finishes that export first (an interrupt would
         * cut the request short and lose the batch).
         */
        synchronized void drain() {
            draining = true;
            if (!exporting) {
                worker.interrupt();
            }
        }

        private synchronized void exporting(boolean exporting) {
            this.exporting = exporting;
            if (exporting) {
                // an interrupt that arrived after the wait ended is not for the export
                Thread.interrupted();
            }
        }

        void offer(FinishedSpan span) {
            if (closed.get()) {
                shutdown.increment();
            }
            else if (!queue.offer(span)) {
                queueFull.increment();
            }
            else if (closed.get() && queue.remove(span)) {
                // close() drained and cleared the queue between the check and the offer
                shutdown.increment();
            }
        }

        private void run() {
            List<FinishedSpan> batch = new ArrayList<>(maxBatchSize);
            while (true) {
                try {
                    if (!exportNextBatch(batch)) {
                        return;
                    }
                }
                catch (Throwable ex) {
                    // never let the worker die, even of an Error thrown while a failure was handled or logged
                    // (an OutOfMemoryError, a logging back end's Error): the batch in hand is lost, the next one is
                    // tried
                    batch.clear();
                    try {
                        logger.debug("Exporting spans failed unexpectedly", ex);
                    }
                    catch (Throwable ignored) {
                        // logging is what failed
                    }
                }
            }
        }

        /** Collects and exports one batch; false when the queue is drained after close. */
        private boolean exportNextBatch(List<FinishedSpan> batch) {
            try {
                FinishedSpan first = draining ? queue.poll() : queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    return !draining;
                }
                batch.add(first);
                long deadline = System.nanoTime() + scheduleDelayNanos;
                while (batch.size() < maxBatchSize) {
                    long wait = draining ? 0L : deadline - System.nanoTime();
                    FinishedSpan next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
            }
            catch (InterruptedException ex) {
                // close() wakes the thread to drain: send the batch in hand, then the rest. Any other interrupt (an
                // exporter that restored its own after a wait) is not ours to stop for: the flag is cleared by now,
                // and the worker goes on
            }
            if (!batch.isEmpty()) {
                export(batch);
                batch.clear();
            }
            return true;
        }

        private void export(List<FinishedSpan> batch) {
            List<FinishedSpan> spans = List.copyOf(batch);
            exporting(true);
            try {
                exporter.export(spans);
                exported.add(spans.size());
            }
            catch (PartialExportFailure ex) {
                int lost = Math.min(ex.failedSpans(), spans.size());
                // exported first: whoever sees the failures counted sees the rest too
                exported.add(spans.size() - lost);
                failed.add(lost);
                logFailure(ex.getCause());
                // a batch can fail in parts of several kinds (spans too large, and spans the backend rejected)
                for (Throwable alsoFailed : ex.getCause().getSuppressed()) {
                    logFailure(alsoFailed);
                }
            }
            catch (Exception | Error ex) {
                // an Error too (an OutOfMemoryError encoding a large batch): the spans are counted, the worker goes on
                failed.add(spans.size());
                logFailure(ex);
            }
            finally {
                exporting(false);
            }
        }

        /** The first failure of each kind at WARN, the same kind again at most once a minute. */
        private void logFailure(Throwable ex) {
            String kind = ex instanceof ExportFailure failure ? failure.kind() : ex.getClass().getName();
            long now = System.nanoTime();
            long[] logged = failureLog.get(kind);
            if (logged == null) {
                failureLog.put(kind, new long[] { now, 0 });
                logger.warn("Exporting spans to {} failed: {}. The spans are dropped and counted in "
                        + "trace.export.spans.dropped{{exporter={},reason=export_failed}}; later failures of this "
                        + "kind are logged at most once a minute", name, message(ex), name);
                logger.debug("Export failure", ex);
            }
            else if (now - logged[0] >= FAILURE_LOG_INTERVAL_NANOS) {
                logger.warn("Exporting spans to {} failed again: {} ({} more failures of this kind since the last "
                        + "warning)", name, message(ex), logged[1]);
                logged[0] = now;
                logged[1] = 0;
            }
            else {
                logged[1]++;
            }
        }

        private String message(Throwable ex) {
            // our senders' messages name the endpoint without credentials; others' by their type only
            return ex instanceof ExportFailure ? ex.getMessage() : ex.getClass().getSimpleName();
        }

        void awaitDrained(long deadline) {
            try {
                worker.join(Math.max(1L, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            // a worker still draining (the join timed out) takes each span or leaves it here, never both
            List<FinishedSpan> dropped = new ArrayList<>();
            queue.drainTo(dropped);
            int left = dropped.size();
            if (left > 0) {
                shutdown.add(left);
                logger.warn("Dropped {} spans still queued for {} when the exporter closed", left, name);
            }
        }

    }

    /** Configures a {@link BatchingSpanReporter}; the settings start from the {@code DEFAULT_*} constants. */
    public static final class Builder {

        private final List<SpanExporter> exporters = new ArrayList<>();

        private int maxQueueSize = DEFAULT_MAX_QUEUE_SIZE;

        private int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;

        private Duration scheduleDelay = DEFAULT_SCHEDULE_DELAY;

        private Duration timeout = DEFAULT_TIMEOUT;

        private String threadName = "trace-span-exporter";

        private Builder() {
        }

        /** Adds an exporter; each batch goes to every exporter, in the order they were added. */
        public Builder exporter(SpanExporter exporter) {
            exporters.add(exporter);
            return this;
        }

        /**
         * The spans that may wait for export at most; when full, further spans are dropped and
         * counted.
         * @throws IllegalArgumentException when it is not positive
         */
        public Builder maxQueueSize(int maxQueueSize) {
            if (maxQueueSize < 1) {
                throw new IllegalArgumentException("must be positive, was " + maxQueueSize);
            }
            this.maxQueueSize = maxQueueSize;
            return this;
        }

        /**
         * The spans sent in one request at most; it must not exceed the queue size, which
         * {@link #check()} verifies.
         * @throws IllegalArgumentException when it is not positive
         */
        public Builder maxBatchSize(int maxBatchSize) {
            if (maxBatchSize < 1) {
                throw new IllegalArgumentException("must be positive, was " + maxBatchSize);
            }
            this.maxBatchSize = maxBatchSize;
            return this;
        }

        /**
         * How long the first queued span waits for a batch to fill before it is sent.
         * @throws IllegalArgumentException when it is null or negative
         */
        public Builder scheduleDelay(Duration scheduleDelay) {
            if (scheduleDelay == null || scheduleDelay.isNegative()) {
                throw new IllegalArgumentException("must be zero or positive, was " + scheduleDelay);
            }
            this.scheduleDelay = scheduleDelay;
            return this;
        }

        /**
         * The time one export may take, and {@link BatchingSpanReporter#close()} to send what is
         * queued.
         * @throws IllegalArgumentException when it is null, not positive or longer than {@link #MAX_TIMEOUT}
         */
        public Builder timeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("must be positive, was " + timeout);
            }
            if (timeout.compareTo(MAX_TIMEOUT) > 0) {
                throw new IllegalArgumentException("must be at most " + MAX_TIMEOUT + " (Integer.MAX_VALUE ms), was "
                        + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /** The background thread's name, for thread dumps. */
        public Builder threadName(String threadName) {
            if (threadName == null || threadName.isBlank()) {
                throw new IllegalArgumentException("threadName must not be blank");
            }
            this.threadName = threadName;
            return this;
        }

        /** The queue size set so far. */
        public int maxQueueSize() {
            return maxQueueSize;
        }

        /** The timeout set so far. */
        public Duration timeout() {
            return timeout;
        }

        /**
         * Checks the settings against each other, as {@link #build()} does: a batch must fit in
         * the queue.
         * @throws IllegalArgumentException when the batch size exceeds the queue size
         */
        public Builder check() {
            if (maxBatchSize > maxQueueSize) {
                throw new IllegalArgumentException("the batch size (" + maxBatchSize
                        + ") must not exceed the queue size (" + maxQueueSize + ")");
            }
            return this;
        }

        /**
         * Returns the reporter, whose thread is started.
         * @throws IllegalArgumentException without an exporter, or when {@link #check()} fails
         */
        public BatchingSpanReporter build() {
            if (exporters.isEmpty()) {
                throw new IllegalArgumentException("at least one exporter is needed");
            }
            check();
            return new BatchingSpanReporter(this);
        }

    }

}
