package dev.tracing.export;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.exporter.SpanReporter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands finished spans to {@link SpanExporter}s in batches from one background thread, so the
 * thread that ends a span never waits for a backend. Spans wait in a bounded queue; when it is
 * full the span is dropped and counted. The thread sends a batch when it has
 * {@code maxBatchSize} spans or {@code scheduleDelay} after the first one arrived, to every
 * exporter in turn; a batch an exporter fails to send is dropped and counted, and the next one
 * is tried as usual, so export resumes by itself when the backend is back.
 * {@link #close()} sends what is queued, within the timeout, then stops the thread.
 *
 * <p>Design notes: as OpenTelemetry's BatchSpanProcessor, and unlike zipkin-reporter's
 * AsyncReporter, nothing is encoded on the thread that ends the span (AsyncReporter sizes each
 * span in bytes when it is reported, to bound its queue by bytes): the request path is one
 * {@code offer} to an {@link ArrayBlockingQueue}. The queue is bounded by spans, so its memory is
 * bounded by what each span recorded. Reported spans are not immutable: {@code FinishedSpan} has
 * setters, the span filters have used them before, and the in-memory store swaps a span's strings
 * for equal shared ones; an exporter must not change them, since every exporter receives the same
 * instances. One thread and
 * one queue serve every exporter, so enabling Zipkin and OTLP costs the request path nothing
 * more. Each exporter bounds its own calls by the timeout (HTTP connect and read timeouts).
 */
public final class BatchingSpanReporter implements SpanReporter {

    /** Dropped because the queue was full when the span ended: a reason {@link #droppedCount(String, String)} takes. */
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

    /** The longest timeout: the HTTP senders take it in int milliseconds (about 24.8 days). */
    public static final Duration MAX_TIMEOUT = Duration.ofMillis(Integer.MAX_VALUE);

    private static final Logger logger = LoggerFactory.getLogger(BatchingSpanReporter.class);

    private final List<SpanExporter> exporters;

    private final ArrayBlockingQueue<FinishedSpan> queue;

    private final int maxBatchSize;

    private final long scheduleDelayNanos;

    private final long timeoutNanos;

    private final Thread worker;

    private final AtomicBoolean closed = new AtomicBoolean();

    private final LongAdder queueFull = new LongAdder();

    private final Map<String, LongAdder> exported = new ConcurrentHashMap<>();

    private final Map<String, LongAdder> failed = new ConcurrentHashMap<>();

    private final Map<String, LongAdder> shutdown = new ConcurrentHashMap<>();

    private final Map<String, Boolean> failureLogged = new ConcurrentHashMap<>();

    /** Set by {@link #close()}: the worker sends what is left and stops. */
    private volatile boolean draining;

    private BatchingSpanReporter(Builder builder) {
        this.exporters = List.copyOf(builder.exporters);
        this.maxBatchSize = builder.maxBatchSize;
        this.scheduleDelayNanos = builder.scheduleDelay.toNanos();
        this.timeoutNanos = builder.timeout.toNanos();
        this.queue = new ArrayBlockingQueue<>(builder.maxQueueSize);
        for (SpanExporter exporter : exporters) {
            exported.put(exporter.name(), new LongAdder());
            failed.put(exporter.name(), new LongAdder());
            shutdown.put(exporter.name(), new LongAdder());
        }
        this.worker = new Thread(this::run, builder.threadName);
        this.worker.setDaemon(true);
        this.worker.start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Queues the span for export; drops and counts it when the queue is full ({@link #QUEUE_FULL})
     * or the reporter is closed ({@link #SHUTDOWN}).
     */
    @Override
    public void report(FinishedSpan span) {
        if (closed.get()) {
            droppedAtShutdown(1);
        }
        else if (!queue.offer(span)) {
            queueFull.increment();
        }
        else if (closed.get() && queue.remove(span)) {
            // close() drained and cleared the queue between the check and the offer
            droppedAtShutdown(1);
        }
    }

    private void droppedAtShutdown(int spans) {
        for (LongAdder count : shutdown.values()) {
            count.add(spans);
        }
    }

    /** Spans waiting in the queue. */
    public int queueSize() {
        return queue.size();
    }

    /** The exporters' names, in export order. */
    public List<String> exporterNames() {
        return exporters.stream().map(SpanExporter::name).toList();
    }

    /** Spans each exporter's backend accepted, by exporter name. */
    public long exportedCount(String exporter) {
        LongAdder count = exported.get(exporter);
        return count != null ? count.sum() : 0L;
    }

    /**
     * Spans an exporter did not send, by reason: {@link #QUEUE_FULL} (never queued, so dropped for
     * every exporter), {@link #EXPORT_FAILED} (the backend failed, refused or did not answer in
     * time) and {@link #SHUTDOWN} (still queued when the close timeout ran out, or reported after
     * {@link #close()}).
     */
    public long droppedCount(String exporter, String reason) {
        switch (reason) {
            case QUEUE_FULL:
                return queueFull.sum();
            case EXPORT_FAILED:
                return sum(failed, exporter);
            case SHUTDOWN:
                return sum(shutdown, exporter);
            default:
                return 0L;
        }
    }

    private static long sum(Map<String, LongAdder> counts, String exporter) {
        LongAdder count = counts.get(exporter);
        return count != null ? count.sum() : 0L;
    }

    private void run() {
        List<FinishedSpan> batch = new ArrayList<>(maxBatchSize);
        while (true) {
            try {
                FinishedSpan first = draining ? queue.poll() : queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    if (draining) {
                        return;
                    }
                    continue;
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
                export(batch);
                batch.clear();
            }
            catch (InterruptedException ex) {
                // close() wakes the thread to drain: send the batch in hand, then the rest
                if (!batch.isEmpty()) {
                    export(batch);
                    batch.clear();
                }
                if (!draining) {
                    return;
                }
            }
            catch (RuntimeException | Error ex) {
                // never let the worker die: the batch in hand is lost, the next one is tried
                logger.debug("Exporting spans failed unexpectedly", ex);
                batch.clear();
            }
        }
    }

    private void export(List<FinishedSpan> batch) {
        List<FinishedSpan> spans = List.copyOf(batch);
        for (SpanExporter exporter : exporters) {
            try {
                exporter.export(spans);
                exported.get(exporter.name()).add(spans.size());
            }
            catch (Exception | LinkageError ex) {
                failed.get(exporter.name()).add(spans.size());
                if (failureLogged.putIfAbsent(exporter.name(), Boolean.TRUE) == null) {
                    logger.debug("Exporting spans to {} failed; they are dropped and counted, later batches are "
                            + "tried as usual", exporter.name(), ex);
                }
            }
        }
    }

    /**
     * Stops accepting spans, sends what is queued within the timeout, counts what is left as
     * dropped, stops the thread and closes the exporters.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        draining = true;
        // wakes the worker from its wait for spans; it then sends what is queued without waiting
        worker.interrupt();
        awaitDrained();
        for (SpanExporter exporter : exporters) {
            try {
                exporter.close();
            }
            catch (RuntimeException ex) {
                logger.debug("Closing the {} exporter failed", exporter.name(), ex);
            }
        }
    }

    private void awaitDrained() {
        try {
            worker.join(TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + 1);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        int left = queue.size();
        queue.clear();
        if (left > 0) {
            droppedAtShutdown(left);
            logger.warn("Dropped {} spans still queued when the exporter closed", left);
        }
    }

    @Override
    public String toString() {
        return "BatchingSpanReporter" + exporterNames();
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
