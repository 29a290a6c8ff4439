package dev.tracing.test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import io.micrometer.tracing.BaggageInScope;
import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static dev.tracing.test.TraceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The kit without Spring: a unit test of code that takes a Micrometer {@link Tracer}, the
 * README's plain example among them.
 */
@ExtendWith(TestTracerExtension.class)
class TestTracerTests {

    /** The code under test: it only knows Micrometer's API. */
    static final class OrderService {

        private final Tracer tracer;

        OrderService(Tracer tracer) {
            this.tracer = tracer;
        }

        void placeOrder(int id) {
            Span span = tracer.nextSpan().name("place order").tag("order.id", String.valueOf(id)).start();
            try (Tracer.SpanInScope scope = tracer.withSpan(span)) {
                Span check = tracer.nextSpan().name("check stock").start();
                check.event("reserved");
                check.end();
                if (id < 0) {
                    throw new IllegalArgumentException("no such order: " + id);
                }
            }
            catch (RuntimeException ex) {
                span.error(ex);
                throw ex;
            }
            finally {
                span.end();
            }
        }

    }

    @Test
    void placingAnOrderIsASpanWithAChild(TestTracer tracing) {
        new OrderService(tracing.tracer()).placeOrder(42);

        assertThat(tracing.spans()).hasSingleTrace()
            .hasNoErrors()
            .hasSpanNamed("place order")
            .isRoot()
            .hasTag("order.id", "42")
            .hasChildNamed("check stock")
            .hasEvent("reserved");
        assertThat(tracing.spans()).hasSpanWithTag("order.id", "42")
            .hasName("place order")
            .hasDurationBetween(Duration.ZERO, Duration.ofSeconds(10));
        assertThatThrownBy(() -> assertThat(tracing.spans()).hasSpanNamed("check stock")
            .hasDurationBetween(Duration.ofHours(1), Duration.ofHours(2)))
            .hasMessageContaining("to take between PT1H and PT2H but took PT");
    }

    @Test
    void aFailureIsTheSpansErrorAndAssertionsSayWhatWasProduced(TestTracer tracing) {
        OrderService orders = new OrderService(tracing.tracer());
        assertThatThrownBy(() -> orders.placeOrder(-1)).isInstanceOf(IllegalArgumentException.class);

        assertThat(tracing.spans()).hasSpanNamed("place order").hasErrorMessage("no such order: -1");
        assertThatThrownBy(() -> assertThat(tracing.spans()).hasNoErrors())
            .hasMessageContaining("place order: no such order: -1")
            .hasMessageContaining("Spans produced:")
            .hasMessageContaining("\"place order\" LOCAL")
            .hasMessageContaining("    \"check stock\" LOCAL");
        assertThatThrownBy(() -> assertThat(tracing.spans()).hasSpanNamed("place order").hasTag("order.id", "7"))
            .hasMessageContaining("to have tag order.id=7 but its value is -1");
    }

    @Test
    void aNonStrictTracerClearsAContextLeftOnTheThreadWhenClosed() {
        try (TestTracer tracing = TestTracer.builder().strict(false).build()) {
            Tracer tracer = tracing.tracer();
            // a scope never closed: no failure without strict mode
            tracer.withSpan(tracer.nextSpan().name("leaked").start());
        }
        try (TestTracer next = TestTracer.create()) {
            assertThat(next.tracer().currentSpan()).as("the next test's current span").isNull();
        }
    }

    @Test
    void thePropagatorCarriesTheRemoteBaggageFields() {
        try (TestTracer tracing = TestTracer.builder().remoteFields(List.of("tenant")).build()) {
            Tracer tracer = tracing.tracer();
            Span span = tracer.nextSpan().name("send").start();
            Map<String, String> headers = new HashMap<>();
            try (Tracer.SpanInScope scope = tracer.withSpan(span);
                    BaggageInScope tenant = tracer.createBaggageInScope("tenant", "acme")) {
                tracing.propagator().inject(tracer.currentTraceContext().context(), headers, Map::put);
            }
            finally {
                span.end();
            }
            assertThat(headers).containsEntry("baggage", "tenant=acme");
            Span received = tracing.propagator().extract(headers, Map::get).name("receive").start();
            try (Tracer.SpanInScope scope = tracer.withSpan(received)) {
                assertThat(tracer.getBaggage("tenant").get()).isEqualTo("acme");
            }
            finally {
                received.end();
            }
        }
    }

    @Test
    void spanFiltersRunAsInTheApplication() {
        try (TestTracer tracing = TestTracer.builder().spanFilter(span -> span.setName(span.getName().toUpperCase()))
            .spanExportingPredicate(span -> !span.getName().startsWith("CHECK"))
            .build()) {
            new OrderService(tracing.tracer()).placeOrder(1);
            assertThat(tracing.spans()).hasSize(1).hasSpanNamed("PLACE ORDER");
        }
    }

    @Test
    void spansEndedOnOtherThreadsAreAwaited(TestTracer tracing) throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Span parent = tracing.tracer().nextSpan().name("parent").start();
            CompletableFuture.runAsync(() -> {
                sleepQuietly(50);
                tracing.tracer().nextSpan(parent).name("async work").start().end();
            }, executor);
            FinishedSpan async = tracing.spans().awaitSpan("async work");
            parent.end();
            assertThat(async.getParentId()).isEqualTo(parent.context().spanId());

            tracing.spans().timeout(Duration.ofMillis(50));
            assertThatThrownBy(() -> tracing.spans().awaitSpan("never")).isInstanceOf(AssertionError.class)
                .hasMessageContaining("Waited 50 ms for a span named 'never'; 0 arrived")
                .hasMessageContaining("\"async work\"");
        }
        finally {
            executor.shutdownNow();
        }
    }

    @Test
    void linksCanBeAsserted(TestTracer tracing) {
        Span producer = tracing.tracer().nextSpan().name("send").start();
        producer.end();
        tracing.tracer().spanBuilder().setNoParent().name("batch").addLink(new Link(producer.context())).start().end();
        FinishedSpan sent = tracing.spans().span("send");
        assertThatSpans(tracing.spans().all()).hasTraceCount(2).hasSpanNamed("batch").hasLinkTo(sent).isRoot();
    }

    @Test
    void aScopeClosedOnAnotherThreadIsReportedWithWhereItWasOpened() throws Exception {
        TestTracer tracing = TestTracer.create();
        Span span = tracing.tracer().nextSpan().name("moved").start();
        Tracer.SpanInScope scope = tracing.tracer().withSpan(span);
        Thread other = new Thread(scope::close, "elsewhere");
        other.start();
        other.join();
        span.end();
        // the scope closed elsewhere, so this thread still holds the span: clean it for the next test
        assertThatThrownBy(tracing::verifyNothingLeftOpen).isInstanceOf(AssertionError.class)
            .hasMessageContaining("was opened on thread " + Thread.currentThread().getName() + " and closed on elsewhere")
            .hasMessageContaining("TestTracerTests.aScopeClosedOnAnotherThreadIsReportedWithWhereItWasOpened(");
    }

    @Test
    void scopesClosedOutOfOrderAreReportedWithWhereTheEndedOneWasOpened() {
        TestTracer tracing = TestTracer.create();
        Tracer tracer = tracing.tracer();
        Span outer = tracer.nextSpan().name("outer").start();
        Span inner = tracer.nextSpan().name("inner").start();
        Tracer.SpanInScope outerScope = tracer.withSpan(outer);
        Tracer.SpanInScope innerScope = tracer.withSpan(inner);
        outerScope.close();
        innerScope.close();
        inner.end();
        outer.end();
        // nothing is left on the thread: the misuse is reported, not a leak
        assertThat(tracer.currentSpan()).isNull();
        assertThatThrownBy(tracing::verifyNothingLeftOpen).isInstanceOf(AssertionError.class)
            .hasMessageContaining("scope of " + inner.context().traceId() + "/" + inner.context().spanId()
                    + " was opened on thread " + Thread.currentThread().getName()
                    + " and still open when a scope opened before it closed")
            .hasMessageContaining("TestTracerTests.scopesClosedOutOfOrderAreReportedWithWhereTheEndedOneWasOpened(")
            .hasMessageNotContaining("never closed")
            .hasMessageNotContaining("still has trace context");
    }

    private static SpansAssert assertThatSpans(java.util.List<FinishedSpan> spans) {
        return TraceAssertions.assertThatSpans(spans);
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

}
