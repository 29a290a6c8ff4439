package dev.tracing.test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.assertj.core.api.AbstractAssert;

/**
 * Assertions on one finished span, knowing the spans around it (its trace) so that parents,
 * children and links can be followed; a failure prints them as trees.
 */
public final class SpanAssert extends AbstractAssert<SpanAssert, FinishedSpan> {

    private final List<FinishedSpan> around;

    SpanAssert(FinishedSpan span, List<FinishedSpan> around) {
        super(span, SpanAssert.class);
        this.around = around;
    }

    /** The span itself, to read what the assertions do not cover. */
    public FinishedSpan span() {
        return actual;
    }

    public SpanAssert hasName(String name) {
        if (!Objects.equals(actual.getName(), name)) {
            fail("to be named \"%s\" but was \"%s\"", name, actual.getName());
        }
        return this;
    }

    /** The span's kind; a local span has none ({@code null}). */
    public SpanAssert hasKind(Span.Kind kind) {
        if (actual.getKind() != kind) {
            fail("to be of kind %s but was %s", kind, actual.getKind());
        }
        return this;
    }

    public SpanAssert hasServiceName(String serviceName) {
        if (!Objects.equals(actual.getLocalServiceName(), serviceName)) {
            fail("to belong to service \"%s\" but was \"%s\"", serviceName, actual.getLocalServiceName());
        }
        return this;
    }

    public SpanAssert hasTag(String key, String value) {
        String found = actual.getTags().get(key);
        if (!Objects.equals(found, value)) {
            fail("to have tag %s=%s but %s", key, value,
                    found == null ? "it has no such tag" : "its value is " + found);
        }
        return this;
    }

    public SpanAssert hasTag(String key) {
        if (!actual.getTags().containsKey(key)) {
            fail("to have a tag %s", key);
        }
        return this;
    }

    public SpanAssert doesNotHaveTag(String key) {
        if (actual.getTags().containsKey(key)) {
            fail("not to have tag %s but it is %s", key, actual.getTags().get(key));
        }
        return this;
    }

    /** An event named {@code name} was recorded on the span. */
    public SpanAssert hasEvent(String name) {
        for (Map.Entry<Long, String> event : actual.getEvents()) {
            if (Objects.equals(event.getValue(), name)) {
                return this;
            }
        }
        fail("to have an event \"%s\"", name);
        return this;
    }

    /** The span failed: it recorded an exception or an {@code error} tag. */
    public SpanAssert hasError() {
        if (!isError(actual)) {
            fail("to have an error");
        }
        return this;
    }

    /** The span failed with {@code message} (the exception's message, or the {@code error} tag). */
    public SpanAssert hasErrorMessage(String message) {
        hasError();
        if (!Objects.equals(errorMessage(actual), message)) {
            fail("to have error \"%s\" but it was \"%s\"", message, errorMessage(actual));
        }
        return this;
    }

    public SpanAssert hasNoError() {
        if (isError(actual)) {
            fail("to have no error but it has \"%s\"", errorMessage(actual));
        }
        return this;
    }

    /** The span took at least {@code min} and at most {@code max}. */
    public SpanAssert hasDurationBetween(Duration min, Duration max) {
        Duration duration = Duration.between(actual.getStartTimestamp(), actual.getEndTimestamp());
        if (duration.compareTo(min) < 0 || duration.compareTo(max) > 0) {
            fail("to take between %s and %s but took %s", min, max, duration);
        }
        return this;
    }

    /** The span has no parent: it started its trace. */
    public SpanAssert isRoot() {
        if (actual.getParentId() != null && !actual.getParentId().isEmpty()) {
            fail("to be a root span but its parent is %s", actual.getParentId());
        }
        return this;
    }

    /** The span's parent is {@code parent}. */
    public SpanAssert isChildOf(FinishedSpan parent) {
        if (!Objects.equals(actual.getTraceId(), parent.getTraceId())
                || !Objects.equals(actual.getParentId(), parent.getSpanId())) {
            fail("to be a child of \"%s\" (%s/%s) but its parent is %s/%s", parent.getName(), parent.getTraceId(),
                    parent.getSpanId(), actual.getTraceId(), actual.getParentId());
        }
        return this;
    }

    /** The span's parent, which must be among the spans around it; assertions go on about the parent. */
    public SpanAssert parent() {
        for (FinishedSpan span : around) {
            if (Objects.equals(span.getTraceId(), actual.getTraceId())
                    && Objects.equals(span.getSpanId(), actual.getParentId())) {
                return new SpanAssert(span, around);
            }
        }
        fail("to have its parent %s among the spans", actual.getParentId());
        return this;
    }

    /** The one child named {@code name}; assertions go on about the child. */
    public SpanAssert hasChildNamed(String name) {
        List<FinishedSpan> children = new ArrayList<>();
        for (FinishedSpan span : around) {
            if (Objects.equals(span.getTraceId(), actual.getTraceId())
                    && Objects.equals(span.getParentId(), actual.getSpanId()) && Objects.equals(span.getName(), name)) {
                children.add(span);
            }
        }
        if (children.size() != 1) {
            fail("to have one child named \"%s\" but it has %s", name, children.size());
        }
        return new SpanAssert(children.get(0), around);
    }

    /** The span has {@code count} children. */
    public SpanAssert hasChildCount(int count) {
        int children = 0;
        for (FinishedSpan span : around) {
            if (Objects.equals(span.getTraceId(), actual.getTraceId())
                    && Objects.equals(span.getParentId(), actual.getSpanId())) {
                children++;
            }
        }
        if (children != count) {
            fail("to have %s children but it has %s", count, children);
        }
        return this;
    }

    /** The span links to {@code other}'s context. */
    public SpanAssert hasLinkTo(FinishedSpan other) {
        for (Link link : actual.getLinks()) {
            if (Objects.equals(link.getTraceContext().traceId(), other.getTraceId())
                    && Objects.equals(link.getTraceContext().spanId(), other.getSpanId())) {
                return this;
            }
        }
        fail("to link to \"%s\" (%s/%s)", other.getName(), other.getTraceId(), other.getSpanId());
        return this;
    }

    static boolean isError(FinishedSpan span) {
        return span.getError() != null || span.getTags().containsKey("error");
    }

    static String errorMessage(FinishedSpan span) {
        if (span.getError() != null) {
            return span.getError().getMessage() != null ? span.getError().getMessage()
                    : span.getError().getClass().getName();
        }
        return span.getTags().get("error");
    }

    private void fail(String expectation, Object... arguments) {
        String text = String.format(expectation, arguments);
        failWithMessage("Expected span %s %s%nSpans produced:%n%s", SpanTree.describe(actual), text,
                SpanTree.print(around));
    }

}
