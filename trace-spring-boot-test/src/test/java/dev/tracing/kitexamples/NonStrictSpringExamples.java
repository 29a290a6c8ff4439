package dev.tracing.kitexamples;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spring tests with strict mode off, one leaving a scope open. Not run by the build (the name
 * matches no test pattern); StrictModeTests runs them and checks the next test starts clean.
 */
@SpringBootTest(classes = ExampleApp.class,
        properties = { "spring.main.web-application-type=none", "trace.test.strict=false" })
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class NonStrictSpringExamples {

    @Autowired
    Tracer tracer;

    @Test
    @Order(1)
    void leavesAScopeOpen() {
        Span span = tracer.nextSpan().name("leaked").start();
        tracer.withSpan(span);
        span.end();
    }

    @Test
    @Order(2)
    void startsATraceOfItsOwn() {
        Span span = tracer.nextSpan().name("own").start();
        span.end();
        assertThat(span.context().parentId()).isNull();
    }

}
