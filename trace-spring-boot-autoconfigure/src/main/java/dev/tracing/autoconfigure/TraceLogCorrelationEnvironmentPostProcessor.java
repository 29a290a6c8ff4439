package dev.tracing.autoconfigure;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.EnumerablePropertySource;

/**
 * Turns on Spring Boot's log correlation, so the default log pattern shows the trace and span
 * ids from the MDC in every line, as Boot does when its own tracing is present.
 *
 * <p>The value is added as the last property source and follows {@code trace.enabled}, so any
 * {@code logging.expect-correlation-id} the user sets wins, and turning tracing off removes
 * the (then empty) ids from the pattern.
 */
public final class TraceLogCorrelationEnvironmentPostProcessor implements EnvironmentPostProcessor {

    static final String EXPECT_CORRELATION_ID = "logging.expect-correlation-id";

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
            if (EXPECT_CORRELATION_ID.equals(name)) {
                return environment.getProperty("trace.enabled", Boolean.class, Boolean.TRUE);
            }
            return null;
        }

    }

}
