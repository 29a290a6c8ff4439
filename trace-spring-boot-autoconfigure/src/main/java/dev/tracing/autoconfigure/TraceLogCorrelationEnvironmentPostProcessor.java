package dev.tracing.autoconfigure;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.EnumerablePropertySource;

/**
 * Turns on Spring Boot's log correlation, so the default log pattern shows the trace and span
 * ids from the MDC in every line, as Boot does when its own tracing is present.
 *
 * <p>The value is added as the last property source and follows {@code trace.enabled}, so any
 * {@code logging.expect-correlation-id} the user sets wins. With tracing off it answers nothing:
 * Spring Boot's own tracing module, when present (its tracer in use instead of ours), answers
 * then, and without it the ids leave the pattern. It runs before Boot's post-processor of the
 * same property, so its answer comes first while our tracer is on, whatever the order of the jars.
 */
public final class TraceLogCorrelationEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

    static final String EXPECT_CORRELATION_ID = "logging.expect-correlation-id";

    @Override
    public int getOrder() {
        // Boot's own (not Ordered) runs after, so that its source comes after ours
        return Ordered.LOWEST_PRECEDENCE - 1;
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        environment.getPropertySources().addLast(new LogCorrelationPropertySource(environment));
    }

    /**
     * Reads {@code trace.enabled} when asked, so it sees the user's final configuration. Its
     * source is a plain object: Boot's binder walks into property sources whose source is an
     * environment, which would loop back here.
     */
    private static final class LogCorrelationPropertySource extends EnumerablePropertySource<Object> {

        private static final String[] NAMES = { EXPECT_CORRELATION_ID };

        private final Environment environment;

        LogCorrelationPropertySource(Environment environment) {
            super("traceLogCorrelation", new Object());
            this.environment = environment;
        }

        @Override
        public String[] getPropertyNames() {
            return NAMES.clone();
        }

        @Override
        public Object getProperty(String name) {
            if (EXPECT_CORRELATION_ID.equals(name)
                    && environment.getProperty("trace.enabled", Boolean.class, Boolean.TRUE)) {
                return Boolean.TRUE;
            }
            return null;
        }

    }

}
