package dev.tracing.test;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.assertj.core.api.AbstractAssert;

/** Assertions on a group of finished spans; a failure prints them as trees. */
public final class SpansAssert extends AbstractAssert<SpansAssert, List<FinishedSpan>> {

    SpansAssert(List<FinishedSpan> spans) {
        super(spans, SpansAssert.class);
    }

    /** There are exactly {@code count} spans. */
    public SpansAssert hasSize(int count) {
        if (actual.size() != count) {
            fail("Expected %s spans but there were %s", count, actual.size());
        }
        return this;
    }

    /** There is no span at all. */
    public SpansAssert isEmpty() {
        return hasSize(0);
    }

    /** All the spans belong to one trace (and there is at least one). */
    public SpansAssert hasSingleTrace() {
        Set<String> traces = traceIds();
        if (traces.size() != 1) {
            fail("Expected the spans to form one trace but they form %s: %s", traces.size(), traces);
        }
        return this;
    }

    /** The spans belong to exactly {@code count} traces. */
    public SpansAssert hasTraceCount(int count) {
        Set<String> traces = traceIds();
        if (traces.size() != count) {
            fail("Expected %s traces but there were %s: %s", count, traces.size(), traces);
        }
        return this;
    }

    /** No span recorded an error (an exception, or an {@code error} tag). */
    public SpansAssert hasNoErrors() {
        List<String> failed = new ArrayList<>();
        for (FinishedSpan span : actual) {
            if (SpanAssert.isError(span)) {
                failed.add(span.getName() + ": " + SpanAssert.errorMessage(span));
            }
        }
        if (!failed.isEmpty()) {
            fail("Expected no span with an error but found %s", failed);
        }
        return this;
    }

    /** Narrows to the spans of the trace {@code traceId}, which must have some. */
    public SpansAssert trace(String traceId) {
        List<FinishedSpan> trace = filtered(span -> Objects.equals(span.getTraceId(), traceId));
        if (trace.isEmpty()) {
            fail("Expected spans of trace %s but there were none", traceId);
        }
        return new SpansAssert(trace);
    }

    /** The one span named {@code name}; assertions on it go on from there. */
    public SpanAssert hasSpanNamed(String name) {
        return hasSpan(span -> Objects.equals(span.getName(), name), "named \"" + name + "\"");
    }

    /** The one span of kind {@code kind} named {@code name}. */
    public SpanAssert hasSpan(Span.Kind kind, String name) {
        return hasSpan(span -> span.getKind() == kind && Objects.equals(span.getName(), name),
                "of kind " + kind + " named \"" + name + "\"");
    }

    /** The one span whose tag {@code key} is {@code value}. */
    public SpanAssert hasSpanWithTag(String key, String value) {
        return hasSpan(span -> Objects.equals(span.getTags().get(key), value),
                "with tag " + key + "=\"" + value + "\"");
    }

    /**
     * The one span {@code filter} accepts.
     * @param description says which span was looked for, in the failure message
     */
    public SpanAssert hasSpan(Predicate<? super FinishedSpan> filter, String description) {
        List<FinishedSpan> found = filtered(filter);
        if (found.size() != 1) {
            fail("Expected one span %s but found %s", description, found.size());
        }
        return new SpanAssert(found.get(0), actual);
    }

    /** There are exactly {@code count} spans named {@code name}. */
    public SpansAssert hasSpansNamed(String name, int count) {
        int found = filtered(span -> Objects.equals(span.getName(), name)).size();
        if (found != count) {
            fail("Expected %s spans named \"%s\" but found %s", count, name, found);
        }
        return this;
    }

    /** No span is named {@code name}. */
    public SpansAssert hasNoSpanNamed(String name) {
        return hasSpansNamed(name, 0);
    }

    private List<FinishedSpan> filtered(Predicate<? super FinishedSpan> filter) {
        isNotNull();
        List<FinishedSpan> found = new ArrayList<>();
        for (FinishedSpan span : actual) {
            if (filter.test(span)) {
                found.add(span);
            }
        }
        return found;
    }

    private Set<String> traceIds() {
        isNotNull();
        Set<String> ids = new LinkedHashSet<>();
        for (FinishedSpan span : actual) {
            ids.add(span.getTraceId());
        }
        return ids;
    }

    private void fail(String message, Object... arguments) {
        String text = String.format(message, arguments);
        failWithMessage("%s%nSpans produced:%n%s", text, SpanTree.print(actual));
    }

}
