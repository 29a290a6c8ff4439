package dev.tracing.test;

import java.util.Collection;
import java.util.List;

import io.micrometer.tracing.exporter.FinishedSpan;

/**
 * Entry points of the kit's AssertJ assertions. A failed assertion shows the spans that were
 * produced, as a tree per trace.
 *
 * <pre>{@code
 * TraceAssertions.assertThat(spans)
 *     .hasSingleTrace()
 *     .hasNoErrors()
 *     .hasSpanNamed("GET /orders/{id}").hasKind(Span.Kind.SERVER)
 *     .hasChildNamed("GET /stock/{id}").hasTag("http.response.status_code", "200");
 * }</pre>
 */
public final class TraceAssertions {

    private TraceAssertions() {
    }

    /** Assertions on every span received so far. */
    public static SpansAssert assertThat(TestSpans spans) {
        return new SpansAssert(spans.all());
    }

    /** Assertions on these spans (a trace, or those of one test). */
    public static SpansAssert assertThatSpans(Collection<? extends FinishedSpan> spans) {
        return new SpansAssert(List.copyOf(spans));
    }

    /** Assertions on one span; {@code context} are the spans it is compared with (its trace). */
    public static SpanAssert assertThatSpan(FinishedSpan span, Collection<? extends FinishedSpan> context) {
        return new SpanAssert(span, List.copyOf(context));
    }

}
