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
 * gives every queue one timeout to drain, the exporters' {@link BatchingSpanReporter} among the
 * reporters too, but leaves the application's reporters themselves to their owner (the Spring
 * context closes its beans).
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
     * Drains and stops every background thread and every {@link BatchingSpanReporter} among the
     * reporters (the exporters' queues), all within one timeout, the longest of theirs: not one per
     * queue, or a few backends that are down would hold the context's close for as many timeouts.
     * The application's wrapped reporters are not closed. Call it once nothing ends spans any more
     * (the Spring context destroys this before the beans that report to it); a batching reporter
     * closed here stays closed when its owner closes it again.
     */
    @Override
    public void close() {
        // the background reporters are among them, each wrapped in its own batching reporter
        List<BatchingSpanReporter> closing = new ArrayList<>(reporters.size());
        for (SpanReporter reporter : reporters) {
            if (reporter instanceof BatchingSpanReporter batching) {
                closing.add(batching);
            }
        }
        BatchingSpanReporter.closeTogether(closing);
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
