package dev.tracing.test;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives each test method that declares a {@link TestTracer} parameter a fresh, strict one, and
 * after the method fails the test when a span or scope was left open. The test class's constructor
 * and its {@code @BeforeEach} methods may declare one too: they get the same tracer as the test
 * method they run for (with JUnit's default per-method test instances). A {@code @BeforeAll}
 * method, or a constructor under {@code @TestInstance(PER_CLASS)}, cannot: one tracer shared by
 * every test would carry each test's spans into the next.
 *
 * <pre>{@code
 * @ExtendWith(TestTracerExtension.class)
 * class OrderServiceTests {
 *     @Test
 *     void placingAnOrderIsOneSpan(TestTracer tracing) { ... }
 * }
 * }</pre>
 */
public final class TestTracerExtension implements ParameterResolver, AfterEachCallback {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace
        .create(TestTracerExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestTracer.class;
    }

    /** A constructor's parameters are resolved for the one test method the instance is made for. */
    @Override
    public ExtensionContextScope getTestInstantiationExtensionContextScope(ExtensionContext rootContext) {
        return ExtensionContextScope.TEST_METHOD;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (context.getTestMethod().isEmpty()) {
            throw new ParameterResolutionException("A TestTracer is made for one test method; "
                    + parameter.getDeclaringExecutable() + " runs for the whole class. Declare it on the test "
                    + "method, a @BeforeEach method or the constructor (with per-method test instances)");
        }
        return context.getStore(NAMESPACE).getOrComputeIfAbsent(TestTracer.class, type -> TestTracer.create(),
                TestTracer.class);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        TestTracer tracer = context.getStore(NAMESPACE).remove(TestTracer.class, TestTracer.class);
        if (tracer != null) {
            tracer.verifyNothingLeftOpen();
        }
    }

}
