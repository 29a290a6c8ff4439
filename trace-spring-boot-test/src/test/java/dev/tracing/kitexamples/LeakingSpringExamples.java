package dev.tracing.kitexamples;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * Spring tests that leave tracing open on purpose. Not run by the build (the name matches no
 * test pattern); StrictModeTests runs them and checks how they fail.
 */
@SpringBootTest(classes = ExampleApp.class,
        properties = { "spring.main.web-application-type=none", "trace.test.strict-grace=200ms" })
public class LeakingSpringExamples {

    @Autowired
    Tracer tracer;

    @Test
    void leavesASpanOpen() {
        tracer.nextSpan().name("forgotten").start();
    }

    @Test
    void leavesAScopeOpen() {
        Span span = tracer.nextSpan().name("scoped").start();
        tracer.withSpan(span);
        span.end();
    }

    @Test
    void cleansUp() {
        Span span = tracer.nextSpan().name("tidy").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(span)) {
            span.tag("tidy", "yes");
        }
        finally {
            span.end();
        }
    }

}
