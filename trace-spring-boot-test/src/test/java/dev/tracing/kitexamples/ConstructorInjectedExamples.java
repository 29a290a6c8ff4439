package dev.tracing.kitexamples;

import dev.tracing.test.TestTracer;
import dev.tracing.test.TestTracerExtension;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Unit tests that take their {@link TestTracer} in the constructor. Not run by the build (the name
 * matches no test pattern); StrictModeTests runs them and checks each test gets a tracer of its own.
 */
@ExtendWith(TestTracerExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class ConstructorInjectedExamples {

    private final TestTracer tracing;

    ConstructorInjectedExamples(TestTracer tracing) {
        this.tracing = tracing;
    }

    @Test
    @Order(1)
    void endsASpan() {
        tracing.tracer().nextSpan().name("one").start().end();
        assertThat(tracing.spans().all()).hasSize(1);
    }

    @Test
    @Order(2)
    void seesNoSpanOfTheTestBefore() {
        assertThat(tracing.spans().all()).isEmpty();
    }

    @Test
    @Order(3)
    void leavesASpanOpen() {
        tracing.tracer().nextSpan().name("forgotten").start();
    }

}
