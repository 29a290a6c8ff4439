package dev.tracing.core;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * What a span keeps when code (or a client, through the instrumentation) gives it more than the
 * limits allow: the first tags, events and links, values cut, the rest counted.
 */
class SpanLimitsTests {

    private final List<FinishedSpan> reported = new CopyOnWriteArrayList<>();

    @Test
    void builderDefaults() {
        SpanLimits limits = SpanLimits.builder().build();
        // OpenTelemetry's defaults, and a value length that keeps a stack trace readable
        assertThat(limits.maxTags()).isEqualTo(SpanLimits.DEFAULT_MAX_TAGS).isEqualTo(128);
        assertThat(limits.maxEvents()).isEqualTo(SpanLimits.DEFAULT_MAX_EVENTS).isEqualTo(128);
        assertThat(limits.maxLinks()).isEqualTo(SpanLimits.DEFAULT_MAX_LINKS).isEqualTo(128);
        assertThat(limits.maxTagValueLength()).isEqualTo(SpanLimits.DEFAULT_MAX_TAG_VALUE_LENGTH).isEqualTo(1024);
        assertThat(SpanLimits.DEFAULTS).hasToString(limits.toString());
    }

    private TraceTracer tracer(SpanLimits limits) {
        return Tracing.newBuilder().serviceName("svc").spanLimits(limits).reporter(reported::add).build();
    }

    @Test
    void tagsPastTheLimitAreDroppedAndCountedWhileKeptKeysStillChange() {
        TraceTracer tracer = tracer(SpanLimits.builder().maxTags(2).build());
        Span span = tracer.nextSpan().name("work").start();
        span.tag("a", "1").tag("b", "2").tag("c", "3").tag("a", "changed").tag("d", "4");
        span.end();
        RecordedSpan recorded = (RecordedSpan) reported.get(0);
        assertThat(recorded.getTags()).containsExactly(Map.entry("a", "changed"),
                Map.entry("b", "2"));
        assertThat(recorded.droppedCount()).isEqualTo(2);
    }

    @Test
    void aLongValueIsCutAtTheLengthAndNeverBetweenTheHalvesOfASurrogatePair() {
        TraceTracer tracer = tracer(SpanLimits.builder().maxTagValueLength(4).build());
        Span span = tracer.nextSpan().name("work").start();
        span.tag("agent", "Mozilla/5.0");
        span.tag("emoji", "abc\uD83D\uDE00d");
        span.event("a-very-long-event");
        span.end();
        FinishedSpan recorded = reported.get(0);
        assertThat(recorded.getTags()).containsEntry("agent", "Mozi").containsEntry("emoji", "abc");
        assertThat(recorded.getEvents()).singleElement().extracting(Map.Entry::getValue).isEqualTo("a-ve");
    }

    @Test
    void aSevenKilobyteValueKeepsTheDefaultThousandAndTwentyFourCharacters() {
        TraceTracer tracer = tracer(SpanLimits.DEFAULTS);
        Span span = tracer.nextSpan().name("work").start();
        span.tag("user_agent.original", "x".repeat(7 * 1024));
        span.end();
        assertThat(reported.get(0).getTags().get("user_agent.original")).hasSize(1024);
    }

    @Test
    void eventsAndLinksPastTheLimitsAreDroppedAndCounted() {
        TraceTracer tracer = tracer(SpanLimits.builder().maxEvents(1).maxLinks(1).build());
        Span other = tracer.nextSpan().name("other").start();
        Span span = tracer.spanBuilder()
            .name("work")
            .addLink(new Link(other.context()))
            .addLink(new Link(other.context()))
            .start();
        span.event("first").event("second").event("third");
        span.end();
        RecordedSpan recorded = (RecordedSpan) reported.get(0);
        assertThat(recorded.getEvents()).extracting(Map.Entry::getValue).containsExactly("first");
        assertThat(recorded.getLinks()).hasSize(1);
        assertThat(recorded.droppedCount()).isEqualTo(3);
    }

    @Test
    void aLinksAttributesKeepToTheTagLimitsTheirValuesCut() {
        TraceTracer tracer = tracer(SpanLimits.builder().maxTags(2).maxTagValueLength(4).build());
        Span other = tracer.nextSpan().name("other").start();
        Map<String, Object> attributes = new java.util.LinkedHashMap<>();
        attributes.put("a", "123456789");
        attributes.put("b", 42L);
        attributes.put("c", "kept out");
        tracer.spanBuilder().name("work").addLink(new Link(other.context(), attributes)).start().end();
        RecordedSpan recorded = (RecordedSpan) reported.get(0);
        assertThat(recorded.getLinks()).singleElement().satisfies(link -> {
            assertThat(link.getTraceContext().spanId()).isEqualTo(other.context().spanId());
            assertThat(link.getTags()).containsExactly(Map.entry("a", "1234"), Map.entry("b", 42L));
        });
    }

    @Test
    void limitsAreChecked() {
        assertThatIllegalArgumentException().isThrownBy(() -> SpanLimits.builder().maxTags(-1))
            .withMessageContaining("-1");
        assertThatIllegalArgumentException().isThrownBy(() -> SpanLimits.builder().maxTagValueLength(0))
            .withMessageContaining("positive");
    }

}
