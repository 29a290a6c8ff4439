package dev.tracing.export;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import dev.tracing.internal.Failures;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.exporter.SpanExportingPredicate;
import io.micrometer.tracing.exporter.SpanFilter;
import io.micrometer.tracing.exporter.SpanReporter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where every finished span goes: each {@link SpanFilter} maps it, each
 * {@link SpanExportingPredicate} may drop it, then each {@link SpanReporter} receives it.
 *
 * <p>Design notes: the pipeline runs on the thread that ended the span, so it is written for that
 * thread: arrays instead of iterators, and a failure of user code (a filter, predicate or
 * reporter that throws) is caught, counted and logged once at debug level, never thrown into
 * the application. A filter that throws leaves the span as it was; a predicate that throws
 * drops it; a reporter that throws does not stop the other reporters.
 *
 * <p>The pipeline is deliberately not a {@link SpanReporter} itself: as a Spring bean it would
 * otherwise be collected among the reporters it calls. Hand {@code pipeline::report} to the
 * tracer. It does not close the reporters: whoever created them (the Spring context) does.
 */
public final class SpanPipeline {

    private static final Logger logger = LoggerFactory.getLogger(SpanPipeline.class);

    private final SpanFilter[] filters;

    private final SpanExportingPredicate[] predicates;

    private final SpanReporter[] reporters;

    private final LongAdder failures = new LongAdder();

    private final AtomicBoolean loggedFailure = new AtomicBoolean();

    /** Creates a pipeline of the given stages, run in list order. */
    public SpanPipeline(List<? extends SpanFilter> filters, List<? extends SpanExportingPredicate> predicates,
            List<? extends SpanReporter> reporters) {
        this.filters = filters.toArray(new SpanFilter[0]);
        this.predicates = predicates.toArray(new SpanExportingPredicate[0]);
        this.reporters = reporters.toArray(new SpanReporter[0]);
    }

    /** Runs {@code span} through the filters and predicates, then hands it to every reporter. */
    public void report(FinishedSpan span) {
        for (SpanFilter filter : filters) {
            try {
                FinishedSpan mapped = filter.map(span);
                if (mapped != null) {
                    span = mapped;
                }
            }
            catch (Throwable ex) {
                Failures.rethrowIfFatal(ex);
                failed(filter, ex);
            }
        }
        for (SpanExportingPredicate predicate : predicates) {
            try {
                if (!predicate.isExportable(span)) {
                    return;
                }
            }
            catch (Throwable ex) {
                Failures.rethrowIfFatal(ex);
                failed(predicate, ex);
                return;
            }
        }
        for (SpanReporter reporter : reporters) {
            try {
                reporter.report(span);
            }
            catch (Throwable ex) {
                Failures.rethrowIfFatal(ex);
                failed(reporter, ex);
            }
        }
    }

    /** Returns how many times a stage of this pipeline has thrown. */
    public long failureCount() {
        return failures.sum();
    }

    private void failed(Object stage, Throwable ex) {
        failures.increment();
        if (loggedFailure.compareAndSet(false, true) && logger.isDebugEnabled()) {
            logger.debug("Span pipeline stage " + stage + " failed; further failures are counted, not logged", ex);
        }
    }
}
