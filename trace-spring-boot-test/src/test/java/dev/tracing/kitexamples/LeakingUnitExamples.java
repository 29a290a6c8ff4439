package dev.tracing.kitexamples;

import dev.tracing.test.TestTracer;
import dev.tracing.test.TestTracerExtension;
import io.micrometer.tracing.Span;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Unit tests that leave tracing open on purpose. Not run by the build (the name matches no test
 * pattern); StrictModeTests runs them and checks how they fail.
 */
@ExtendWith(TestTracerExtension.class)
public class LeakingUnitExamples {

    @Test
    void leavesASpanOpen(TestTracer tracing) {
        tracing.tracer().nextSpan().name("forgotten").start();
    }

    @Test
    void leavesAScopeOpen(TestTracer tracing) {
        Span span = tracing.tracer().nextSpan().name("scoped").start();
        tracing.tracer().withSpan(span);
        span.end();
    }

    @Test
    void cleansUp(TestTracer tracing) {
        Span span = tracing.tracer().nextSpan().name("tidy").start();
        try (var scope = tracing.tracer().withSpan(span)) {
            span.tag("tidy", "yes");
        }
        finally {
            span.end();
        }
    }

}
