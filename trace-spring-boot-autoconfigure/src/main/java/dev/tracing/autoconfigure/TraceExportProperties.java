package dev.tracing.autoconfigure;

import java.time.Duration;

import dev.tracing.export.BatchingSpanReporter;
import dev.tracing.export.InMemorySpanStore;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Where finished spans go in this process: the in-memory store, log lines, and the queue that
 * feeds the backends ({@link TraceZipkinProperties}, {@link TraceOtlpProperties}).
 */
@ConfigurationProperties("trace.export")
public class TraceExportProperties {

    private final Memory memory = new Memory();

    private final Logging logging = new Logging();

    private final Batch batch = new Batch();

    public Memory getMemory() {
        return memory;
    }

    public Logging getLogging() {
        return logging;
    }

    public Batch getBatch() {
        return batch;
    }

    /** The in-memory store of recent spans behind the 'traces' actuator endpoint. */
    public static class Memory {

        /** Whether recent spans are kept in memory. */
        private boolean enabled = true;

        /** Maximum number of spans kept; the oldest traces are evicted first. */
        private int maxSpans = InMemorySpanStore.DEFAULT_MAX_SPANS;

        /**
         * Maximum number of new traces kept per second; the others are not kept in memory (they are
         * still exported). 0 for no limit. A limit keeps a busy service's store a sample over time
         * rather than its last fraction of a second, which the garbage collector would copy on every
         * young collection.
         */
        private int maxTracesPerSecond = InMemorySpanStore.DEFAULT_MAX_TRACES_PER_SECOND;

        /**
         * Maximum number of spans of one trace kept; the others are not kept in memory (they are
         * still exported), so a caller that reuses one trace id cannot push every other trace out.
         */
        private int maxSpansPerTrace = InMemorySpanStore.DEFAULT_MAX_SPANS_PER_TRACE;

        public int getMaxSpansPerTrace() {
            return maxSpansPerTrace;
        }

        public void setMaxSpansPerTrace(int maxSpansPerTrace) {
            this.maxSpansPerTrace = maxSpansPerTrace;
        }

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public int getMaxSpans() {
            return maxSpans;
        }

        public void setMaxSpans(int maxSpans) {
            this.maxSpans = maxSpans;
        }

        public int getMaxTracesPerSecond() {
            return maxTracesPerSecond;
        }

        public void setMaxTracesPerSecond(int maxTracesPerSecond) {
            this.maxTracesPerSecond = maxTracesPerSecond;
        }

    }

    /** Export as log lines. */
    public static class Logging {

        /**
         * Whether each finished span is written as one JSON line (Zipkin v2 format) at INFO on the
         * 'dev.tracing.spans' logger.
         */
        private boolean enabled = false;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

    }

    /** How spans reach the exporters: a bounded queue drained by one background thread. */
    public static class Batch {

        /**
         * Spans waiting for export at most, and for each application {@code SpanReporter}; when
         * full, further spans are dropped and counted.
         */
        private int maxQueueSize = BatchingSpanReporter.DEFAULT_MAX_QUEUE_SIZE;

        /** Spans sent in one request at most. */
        private int maxBatchSize = BatchingSpanReporter.DEFAULT_MAX_BATCH_SIZE;

        /** How long the first queued span waits for a batch to fill before it is sent. */
        private Duration scheduleDelay = BatchingSpanReporter.DEFAULT_SCHEDULE_DELAY;

        /**
         * Time allowed for one export, the whole exchange with its retries, and for sending what
         * is queued at shutdown. A batch that fails or times out is dropped and counted.
         */
        private Duration timeout = BatchingSpanReporter.DEFAULT_TIMEOUT;

        public int getMaxQueueSize() {
            return maxQueueSize;
        }

        public void setMaxQueueSize(int maxQueueSize) {
            this.maxQueueSize = maxQueueSize;
        }

        public int getMaxBatchSize() {
            return maxBatchSize;
        }

        public void setMaxBatchSize(int maxBatchSize) {
            this.maxBatchSize = maxBatchSize;
        }

        public Duration getScheduleDelay() {
            return scheduleDelay;
        }

        public void setScheduleDelay(Duration scheduleDelay) {
            this.scheduleDelay = scheduleDelay;
        }

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }

    }

}
