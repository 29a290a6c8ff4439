package dev.tracing.test;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/** The test kit's settings, under {@code trace.test}; read only where the kit is on the classpath. */
@ConfigurationProperties("trace.test")
public class TraceTestProperties {

    /**
     * Whether a test fails when it leaves a span started and not ended, a scope opened and not
     * closed, a scope still open when one opened before it closed, or a scope closed on another
     * thread, naming where each began.
     */
    private boolean strict = true;

    /**
     * How long strict mode waits, after a test method, for open spans and for scopes of other
     * threads to end (a server finishing its response, a client span completing on another thread)
     * before it counts them as left open.
     */
    private Duration strictGrace = StrictTracing.DEFAULT_GRACE;

    /** How long the TestSpans await methods wait for spans that end on other threads. */
    private Duration timeout = TestSpans.DEFAULT_TIMEOUT;

    public boolean isStrict() {
        return strict;
    }

    public void setStrict(boolean strict) {
        this.strict = strict;
    }

    public Duration getStrictGrace() {
        return strictGrace;
    }

    /** @throws InvalidConfigurationPropertyValueException when negative: start-up fails naming the property */
    public void setStrictGrace(Duration strictGrace) {
        this.strictGrace = notNegative("trace.test.strict-grace", strictGrace);
    }

    public Duration getTimeout() {
        return timeout;
    }

    /** @throws InvalidConfigurationPropertyValueException when negative: start-up fails naming the property */
    public void setTimeout(Duration timeout) {
        this.timeout = notNegative("trace.test.timeout", timeout);
    }

    private static Duration notNegative(String property, Duration duration) {
        if (duration == null || duration.isNegative()) {
            throw new InvalidConfigurationPropertyValueException(property, duration, "must be zero or positive");
        }
        return duration;
    }

}
