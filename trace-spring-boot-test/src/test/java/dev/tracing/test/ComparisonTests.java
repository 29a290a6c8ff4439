package dev.tracing.test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import brave.Tracing;
import brave.handler.MutableSpan;
import brave.handler.SpanHandler;
import brave.propagation.CurrentTraceContext;
import brave.propagation.StrictCurrentTraceContext;
import brave.propagation.TraceContext;
import dev.tracing.core.Sampler;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.exporter.SpanFilter;
import io.micrometer.tracing.test.simple.SimpleTracer;
import org.junit.jupiter.api.Test;

import static dev.tracing.test.TraceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the kit catches that Micrometer's {@code SimpleTracer} and Brave's test tools
 * ({@code TestSpanHandler}, {@code StrictCurrentTraceContext}) do not: each test runs the same
 * code under both and shows the difference the README's table states.
 */
class ComparisonTests {

    /** Production redacts the e-mail tag; a test must see what production exports. */
    static final SpanFilter REDACT_EMAIL = span -> {
        Map<String, String> tags = new HashMap<>(span.getTags());
        tags.remove("user.email");
        return span.setTags(tags);
    };

    static void signUp(Tracer tracer) {
        Span span = tracer.nextSpan().name("sign up").tag("user.email", "ada@example.com").start();
        span.end();
    }

    @Test
    void simpleTracerBypassesTheSpanFiltersThatProductionApplies() {
        SimpleTracer simple = new SimpleTracer();
        signUp(simple);
        // the test sees the address, which production never exports
        assertThat(simple.onlySpan().getTags()).containsKey("user.email");

        try (TestTracer tracing = TestTracer.builder().spanFilter(REDACT_EMAIL).build()) {
            signUp(tracing.tracer());
            assertThat(tracing.spans()).hasSpanNamed("sign up").doesNotHaveTag("user.email");
        }
    }

    @Test
    void simpleTracerRecordsWhatTheApplicationsSamplerDrops() {
        SimpleTracer simple = new SimpleTracer();
        signUp(simple);
        assertThat(simple.getSpans()).hasSize(1);

        try (TestTracer tracing = TestTracer.builder().sampler(Sampler.NEVER_SAMPLE).build()) {
            signUp(tracing.tracer());
            assertThat(tracing.spans()).isEmpty();
        }
    }

    @Test
    void bravesStrictContextMissesASpanThatIsNeverEnded() {
        StrictCurrentTraceContext strict = StrictCurrentTraceContext.newBuilder().build();
        List<MutableSpan> finished = new ArrayList<>();
        try (Tracing brave = Tracing.newBuilder().currentTraceContext(strict).addSpanHandler(new SpanHandler() {
            @Override
            public boolean end(TraceContext context, MutableSpan span, Cause cause) {
                finished.add(span);
                return true;
            }
        }).build()) {
            brave.tracer().nextSpan().name("forgotten").start();
        }
        strict.close();
        // nothing failed, and nothing was reported: the test cannot tell
        assertThat(finished).isEmpty();

        TestTracer tracing = TestTracer.create();
        tracing.tracer().nextSpan().name("forgotten").start();
        assertThatThrownBy(tracing::verifyNothingLeftOpen).isInstanceOf(AssertionError.class)
            .hasMessageContaining("span \"forgotten\"")
            .hasMessageContaining("never ended")
            .hasMessageContaining("ComparisonTests.bravesStrictContextMissesASpanThatIsNeverEnded(");
    }

    @Test
    void theKitAndBravesStrictContextCatchALeakedScopeWhichSimpleTracerDoesNot() {
        StrictCurrentTraceContext strict = StrictCurrentTraceContext.newBuilder().build();
        try (Tracing brave = Tracing.newBuilder().currentTraceContext(strict).build()) {
            CurrentTraceContext.Scope leaked = brave.currentTraceContext()
                .newScope(brave.tracer().nextSpan().context());
            assertThatThrownBy(strict::close).isInstanceOf(AssertionError.class)
                .hasMessageContaining("opened a scope");
            leaked.close();
        }

        // the same leak under StrictCurrentTraceContext.create() (Brave 6.3) goes unnoticed
        StrictCurrentTraceContext created = StrictCurrentTraceContext.create();
        CurrentTraceContext.Scope unnoticed = created.newScope(TraceContext.newBuilder().traceId(1).spanId(2).build());
        created.close();
        unnoticed.close();

        // SimpleTracer has no check: the span stays current after the "test"
        SimpleTracer simple = new SimpleTracer();
        Span simpleSpan = simple.nextSpan().name("leaky").start();
        Tracer.SpanInScope simpleScope = simple.withSpan(simpleSpan);
        simpleSpan.end();
        assertThat(simple.currentSpan()).isSameAs(simpleSpan);
        simpleScope.close();

        TestTracer tracing = TestTracer.create();
        Span span = tracing.tracer().nextSpan().name("leaky").start();
        tracing.tracer().withSpan(span);
        span.end();
        assertThatThrownBy(tracing::verifyNothingLeftOpen).isInstanceOf(AssertionError.class)
            .hasMessageContaining("never closed")
            .hasMessageContaining("ComparisonTests.theKitAndBravesStrictContextCatchALeakedScopeWhichSimpleTracerDoesNot(");
    }

    static List<String> names(List<FinishedSpan> spans) {
        return spans.stream().map(FinishedSpan::getName).toList();
    }

}
