package dev.tracing.export;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.exporter.SpanReporter;

/**
 * Moves the application's own {@link SpanReporter}s off the thread that ends a span: each one
 * gets its own bounded queue and thread (a {@link BatchingSpanReporter} that hands it one span at
 * a time), so a reporter that blocks, is slow or throws never delays a request, and never delays
 * the other reporters. When its queue is full, spans are dropped for that reporter and counted;
 * a span it throws on is counted as failed.
 *
 * <p>Reporters that are {@link CallingThreadSpanReporter}s (this starter's {@link InMemorySpanStore}
 * and {@link BatchingSpanReporter}) stay on the calling thread: each does a few field writes under
 * a lock or one queue offer.
 *
 * <p>Design notes: as in Spring Boot's OpenTelemetry setup, where {@code SpanReporter} beans run
 * behind the SDK's batch span processor, a reporter sees a span shortly after it ended rather
 * than during {@code end()}. One thread per reporter costs an idle thread each, and reporters are
 * few; in exchange, a reporter stuck on a dead backend costs the others nothing. {@link #close()}
 * gives each queue the timeout to drain but leaves the reporters themselves to their owner (the
 * Spring context closes its beans).
 */
public final class BackgroundSpanReporters implements AutoCloseable {

    private final List<SpanReporter> reporters;

    private final Map<String, BatchingSpanReporter> background;

    /**
     * Wraps each reporter of {@code reportersByName} that is not one of this starter's own.
     * @param reportersByName reporters in the order they are called, by a name unique among them
     * (a bean name), used as the {@code exporter} of their counters
     * @param maxQueueSize spans each background reporter may hold before dropping
     * @param timeout how long {@link #close()} waits for the queues to drain
     */
    public BackgroundSpanReporters(Map<String, ? extends SpanReporter> reportersByName, int maxQueueSize,
            Duration timeout) {
        List<SpanReporter> all = new ArrayList<>(reportersByName.size());
        Map<String, BatchingSpanReporter> wrapped = new LinkedHashMap<>();
        reportersByName.forEach((name, reporter) -> {
            if (runsOnCallingThread(reporter)) {
                all.add(reporter);
                return;
            }
            BatchingSpanReporter batching = BatchingSpanReporter.builder()
                .exporter(new ReporterExporter(name, reporter))
                .maxQueueSize(maxQueueSize)
                .maxBatchSize(1)
                .scheduleDelay(Duration.ZERO)
                .timeout(timeout)
                .threadName("trace-span-reporter-" + name)
                .build();
            wrapped.put(name, batching);
            all.add(batching);
        });
        this.reporters = Collections.unmodifiableList(all);
        this.background = Collections.unmodifiableMap(wrapped);
    }

    private static boolean runsOnCallingThread(SpanReporter reporter) {
        return reporter instanceof CallingThreadSpanReporter;
    }

    /** Every reporter, in the given order, as the span pipeline should call it. */
    public List<SpanReporter> reporters() {
        return reporters;
    }

    /** The queue and counters of each reporter that runs in the background, by its name. */
    public Map<String, BatchingSpanReporter> background() {
        return background;
    }

    /**
     * Drains and stops every background thread, all within one timeout (not one per reporter: a few
     * reporters stuck on dead backends would otherwise hold the context's close for as many
     * timeouts); the wrapped reporters are not closed.
     */
    @Override
    public void close() {
        List<BatchingSpanReporter> closing = new ArrayList<>(background.size());
        long timeout = 0L;
        for (BatchingSpanReporter batching : background.values()) {
            if (batching.beginClose()) {
                closing.add(batching);
                timeout = Math.max(timeout, batching.timeoutNanos());
            }
        }
        long deadline = System.nanoTime() + timeout;
        for (BatchingSpanReporter batching : closing) {
            batching.finishClose(deadline);
        }
    }

    /** One reporter as the single exporter of its own batching reporter. */
    private static final class ReporterExporter implements SpanExporter {

        private final String name;

        private final SpanReporter reporter;

        ReporterExporter(String name, SpanReporter reporter) {
            this.name = name;
            this.reporter = reporter;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void export(List<FinishedSpan> spans) {
            for (FinishedSpan span : spans) {
                reporter.report(span);
            }
        }

        @Override
        public void close() {
            // the reporter belongs to whoever created it
        }

    }

}
