package dev.tracing.kitexamples;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.tracing.test.TestSpans;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.exporter.SpanFilter;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A span of the first test that reaches the kit only once the third test runs (an application's
 * span filter holds it) must not be counted as one of the third test's spans. Not run by the
 * build (the name matches no test pattern); StrictModeTests runs them in order.
 */
@SpringBootTest(classes = { ExampleApp.class, LateSpanSpringExamples.HoldingFilter.class },
        properties = "spring.main.web-application-type=none")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class LateSpanSpringExamples {

    /** Opened once the third test has begun: the filter then lets the first test's span through. */
    static final CountDownLatch thirdTestBegan = new CountDownLatch(1);

    static Thread ending;

    @Autowired
    Tracer tracer;

    @Autowired
    TestSpans spans;

    @Test
    @Order(1)
    void endsASpanThatArrivesLate() {
        Span span = tracer.nextSpan().name("late").start();
        ending = new Thread(span::end, "late-span");
        ending.start();
    }

    @Test
    @Order(2)
    void makesNoSpan() {
        assertThat(spans.all()).isEmpty();
    }

    @Test
    @Order(3)
    void seesOnlyItsOwnSpans() throws InterruptedException {
        Span own = tracer.nextSpan().name("own").start();
        own.end();
        thirdTestBegan.countDown();
        // end() returns once the pipeline has handed the span over
        ending.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(spans.all()).extracting(FinishedSpan::getName).containsExactly("own");
    }

    /** An application's span filter that holds the first test's span until the third test begins. */
    static class HoldingFilter implements SpanFilter {

        @Override
        public FinishedSpan map(FinishedSpan span) {
            if ("late".equals(span.getName())) {
                try {
                    thirdTestBegan.await(10, TimeUnit.SECONDS);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            return span;
        }

    }

}
