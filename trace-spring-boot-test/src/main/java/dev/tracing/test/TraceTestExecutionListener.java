package dev.tracing.test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.TraceContext;

import org.springframework.context.ApplicationContext;
import org.springframework.core.Ordered;
import org.springframework.test.context.TestContext;
import org.springframework.test.context.TestExecutionListener;

/**
 * Around each test method of a Spring test whose context has the kit's beans: empties
 * {@link TestSpans} and resets {@link StrictTracing} before, and after, fails the test when it
 * left a span open, a scope unclosed, or the test thread with a current trace context. A context
 * left on the test thread is cleared after the test in any case, strict mode or not. Registered
 * in {@code META-INF/spring.factories}, so no user code is needed.
 */
public final class TraceTestExecutionListener implements TestExecutionListener, Ordered {

    @Override
    public int getOrder() {
        // after Spring's own listeners have prepared the context, before the user's
        return 5000;
    }

    @Override
    public void beforeTestMethod(TestContext testContext) {
        if (!testContext.hasApplicationContext()) {
            return;
        }
        ApplicationContext context = testContext.getApplicationContext();
        context.getBeanProvider(TestSpans.class).ifAvailable(TestSpans::startTest);
        context.getBeanProvider(StrictTracing.class).ifAvailable(StrictTracing::reset);
    }

    @Override
    public void afterTestMethod(TestContext testContext) {
        if (!testContext.hasApplicationContext()) {
            return;
        }
        ApplicationContext context = testContext.getApplicationContext();
        StrictTracing strict = context.getBeanProvider(StrictTracing.class).getIfAvailable();
        CurrentTraceContext current = context.getBeanProvider(CurrentTraceContext.class).getIfUnique();
        TraceContext left = current != null ? current.context() : null;
        if (strict == null) {
            if (left != null) {
                // not a failure without strict mode, but the next test on this thread must not inherit it
                current.newScope(null);
            }
            return;
        }
        List<String> problems = new ArrayList<>();
        if (left != null) {
            problems.add("the test thread " + Thread.currentThread().getName() + " still has trace context "
                    + left.traceId() + "/" + left.spanId() + " after the test method");
        }
        Duration grace = context.getBeanProvider(TraceTestProperties.class)
            .getIfAvailable(TraceTestProperties::new)
            .getStrictGrace();
        problems.addAll(strict.check(grace));
        if (left != null) {
            // the leaked context would follow the thread into the next test: clear it, after the check,
            // so the clearing scope is not reported as one more
            current.newScope(null);
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(StrictFailures.message(problems));
        }
    }

}
