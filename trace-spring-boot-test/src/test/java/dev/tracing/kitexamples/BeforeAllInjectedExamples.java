package dev.tracing.kitexamples;

import dev.tracing.test.TestTracer;
import dev.tracing.test.TestTracerExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A {@link TestTracer} asked for by a {@code @BeforeAll} method, which runs for the whole class.
 * Not run by the build (the name matches no test pattern); StrictModeTests runs it and checks it
 * is refused with a message saying where to declare it.
 */
@ExtendWith(TestTracerExtension.class)
public class BeforeAllInjectedExamples {

    static TestTracer shared;

    @BeforeAll
    static void init(TestTracer tracing) {
        shared = tracing;
    }

    @Test
    void anyTest() {
    }

}
