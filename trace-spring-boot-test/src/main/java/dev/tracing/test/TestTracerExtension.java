package dev.tracing.test;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives each test method that declares a {@link TestTracer} parameter a fresh, strict one, and
 * after the method fails the test when a span or scope was left open.
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

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
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
