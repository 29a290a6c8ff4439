package dev.tracing.test;

import java.util.List;
import java.util.Map;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.test.context.ContextConfigurationAttributes;
import org.springframework.test.context.ContextCustomizer;
import org.springframework.test.context.ContextCustomizerFactory;
import org.springframework.test.context.MergedContextConfiguration;

/**
 * Lifts the tracer's per-second limit of new traces ({@code trace.sampling.rate-limit}, 100 a
 * second in bursts of about ten) in a Spring test, where a loop of requests or a parameterized test
 * starts more traces than that at once: the spans a test asserts on must not depend on how fast the
 * machine runs it. Only the default: a rate limit the application or the test sets still applies
 * (this property source comes after every other).
 */
final class TraceTestContextCustomizerFactory implements ContextCustomizerFactory {

    private static final ContextCustomizer UNLIMITED = new Unlimited();

    @Override
    public ContextCustomizer createContextCustomizer(Class<?> testClass,
            List<ContextConfigurationAttributes> configAttributes) {
        return UNLIMITED;
    }

    /** Equal to every other instance, so the test contexts Spring caches are still shared. */
    private static final class Unlimited implements ContextCustomizer {

        @Override
        public void customizeContext(ConfigurableApplicationContext context, MergedContextConfiguration config) {
            context.getEnvironment()
                .getPropertySources()
                .addLast(new MapPropertySource("traceTestDefaults", Map.of("trace.sampling.rate-limit", "0")));
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Unlimited;
        }

        @Override
        public int hashCode() {
            return Unlimited.class.hashCode();
        }

    }

}
