package dev.tracing.export;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.exporter.SpanExportingPredicate;
import io.micrometer.tracing.exporter.SpanFilter;
import io.micrometer.tracing.exporter.SpanReporter;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** What reaches the reporters when a span ends on a tracer wired to a pipeline. */
class SpanPipelineTests {

    private final List<FinishedSpan> first = new CopyOnWriteArrayList<>();

    private final List<FinishedSpan> second = new CopyOnWriteArrayList<>();

    private static TraceTracer tracer(SpanPipeline pipeline) {
        return Tracing.newBuilder().serviceName("svc").reporter(pipeline::report).build();
    }

    private static void endSpan(TraceTracer tracer, String name) {
        Span span = tracer.nextSpan().name(name).start();
        span.tag("k", "v");
        span.end();
    }

    @Test
    void filtersMapInOrderBeforeTheReportersSeeTheSpan() {
        SpanFilter appendA = span -> span.setName(span.getName() + "-a");
        SpanFilter appendB = span -> span.setName(span.getName() + "-b");
        SpanFilter redact = span -> {
            span.getTags().put("k", "redacted");
            return span;
        };
        SpanPipeline pipeline = new SpanPipeline(List.of(appendA, appendB, redact), List.of(),
                List.of(first::add, second::add));

        endSpan(tracer(pipeline), "span");

        assertThat(first).singleElement().satisfies(span -> {
            assertThat(span.getName()).isEqualTo("span-a-b");
            assertThat(span.getTags()).containsEntry("k", "redacted");
        });
        assertThat(second).extracting(FinishedSpan::getName).containsExactly("span-a-b");
        assertThat(pipeline.failureCount()).isZero();
    }

    @Test
    void aFilterMayReplaceTheSpan() {
        List<FinishedSpan> replaced = new CopyOnWriteArrayList<>();
        SpanFilter replace = span -> {
            FinishedSpan copy = span.setLocalServiceName("renamed-service");
            replaced.add(copy);
            return copy;
        };
        SpanPipeline pipeline = new SpanPipeline(List.of(replace), List.of(), List.of(first::add));

        endSpan(tracer(pipeline), "span");

        assertThat(first).singleElement().isSameAs(replaced.get(0));
        assertThat(first.get(0).getLocalServiceName()).isEqualTo("renamed-service");
    }

    @Test
    void aFilterCanAddLinksToTheFinishedSpan() {
        // regression: RecordedSpan#addLinks went through link(..), which ignores writes once the
        // span has finished, and a filter only ever sees finished spans
        TraceTracer tracer = Tracing.newBuilder().build();
        Span other = tracer.nextSpan().name("other").start();
        io.micrometer.tracing.Link one = new io.micrometer.tracing.Link(other.context());
        io.micrometer.tracing.Link two = new io.micrometer.tracing.Link(other.context(), java.util.Map.of("n", 2));
        SpanFilter addOne = span -> span.addLink(one);
        SpanFilter addTwo = span -> span.addLinks(List.of(two));
        SpanPipeline pipeline = new SpanPipeline(List.of(addOne, addTwo), List.of(), List.of(first::add));

        endSpan(tracer(pipeline), "span");

        assertThat(first).singleElement().satisfies(span -> assertThat(span.getLinks()).containsExactly(one, two));
    }

    @Test
    void aPredicateReturningFalseDropsTheSpanForEveryReporter() {
        SpanExportingPredicate notHealth = span -> !span.getName().startsWith("GET /actuator");
        SpanPipeline pipeline = new SpanPipeline(List.of(), List.of(span -> true, notHealth),
                List.of(first::add, second::add));
        TraceTracer tracer = tracer(pipeline);

        endSpan(tracer, "GET /actuator/health");
        endSpan(tracer, "GET /api/hello");

        assertThat(first).extracting(FinishedSpan::getName).containsExactly("GET /api/hello");
        assertThat(second).extracting(FinishedSpan::getName).containsExactly("GET /api/hello");
    }

    @Test
    void predicatesSeeTheFilteredSpan() {
        SpanFilter rename = span -> span.setName("internal");
        SpanExportingPredicate dropInternal = span -> !"internal".equals(span.getName());
        SpanPipeline pipeline = new SpanPipeline(List.of(rename), List.of(dropInternal), List.of(first::add));

        endSpan(tracer(pipeline), "span");

        assertThat(first).isEmpty();
    }

    @Test
    void aThrowingFilterLeavesTheSpanAsItWasAndTheNextFilterStillRuns() {
        SpanFilter boom = span -> {
            throw new IllegalStateException("filter bug");
        };
        SpanFilter tag = span -> {
            span.getTags().put("filtered", "yes");
            return span;
        };
        SpanPipeline pipeline = new SpanPipeline(List.of(boom, tag), List.of(), List.of(first::add));
        TraceTracer tracer = tracer(pipeline);

        assertThatCode(() -> endSpan(tracer, "span")).doesNotThrowAnyException();

        assertThat(first).singleElement().satisfies(span -> {
            assertThat(span.getName()).isEqualTo("span");
            assertThat(span.getTags()).containsEntry("k", "v").containsEntry("filtered", "yes");
        });
        assertThat(pipeline.failureCount()).isEqualTo(1);
    }

    @Test
    void aThrowingPredicateDropsTheSpanWithoutReachingTheCaller() {
        SpanExportingPredicate boom = span -> {
            throw new IllegalStateException("predicate bug");
        };
        SpanPipeline pipeline = new SpanPipeline(List.of(), List.of(boom), List.of(first::add));
        TraceTracer tracer = tracer(pipeline);

        assertThatCode(() -> endSpan(tracer, "one")).doesNotThrowAnyException();
        assertThatCode(() -> endSpan(tracer, "two")).doesNotThrowAnyException();

        assertThat(first).isEmpty();
        assertThat(pipeline.failureCount()).isEqualTo(2);
    }

    @Test
    void aThrowingReporterDoesNotStopTheOthers() {
        SpanReporter boom = span -> {
            throw new IllegalStateException("reporter down");
        };
        SpanReporter linkageBoom = span -> {
            throw new NoClassDefFoundError("optional/Dependency");
        };
        SpanReporter assertionBoom = span -> {
            throw new AssertionError("a check in the reporter");
        };
        SpanPipeline pipeline = new SpanPipeline(List.of(), List.of(), List.of(first::add, boom, linkageBoom,
                assertionBoom, second::add));
        TraceTracer tracer = tracer(pipeline);

        assertThatCode(() -> endSpan(tracer, "one")).doesNotThrowAnyException();
        assertThatCode(() -> endSpan(tracer, "two")).doesNotThrowAnyException();

        assertThat(first).extracting(FinishedSpan::getName).containsExactly("one", "two");
        assertThat(second).extracting(FinishedSpan::getName).containsExactly("one", "two");
        assertThat(pipeline.failureCount()).isEqualTo(6);
    }

    @Test
    void everyReporterReceivesEverySpanInOrder() {
        List<FinishedSpan> third = new CopyOnWriteArrayList<>();
        SpanPipeline pipeline = new SpanPipeline(List.of(), List.of(), List.of(first::add, second::add, third::add));
        TraceTracer tracer = tracer(pipeline);

        for (int i = 0; i < 5; i++) {
            endSpan(tracer, "span-" + i);
        }

        List<String> expected = List.of("span-0", "span-1", "span-2", "span-3", "span-4");
        assertThat(first).extracting(FinishedSpan::getName).isEqualTo(expected);
        assertThat(second).extracting(FinishedSpan::getName).isEqualTo(expected);
        assertThat(third).extracting(FinishedSpan::getName).isEqualTo(expected);
    }

    @Test
    void unsampledSpansNeverReachThePipeline() {
        SpanPipeline pipeline = new SpanPipeline(List.of(), List.of(), List.of(first::add));
        TraceTracer tracer = Tracing.newBuilder()
            .sampler(dev.tracing.core.Sampler.NEVER_SAMPLE)
            .reporter(pipeline::report)
            .build();

        endSpan(tracer, "span");

        assertThat(first).isEmpty();
    }

}
