package dev.tracing.test;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** The test kit's settings, under {@code trace.test}; read only where the kit is on the classpath. */
@ConfigurationProperties("trace.test")
public class TraceTestProperties {

    /**
     * Whether a test fails when it leaves a span started and not ended, a scope opened and not
     * closed, or a scope closed on another thread, naming where each began.
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

    public void setStrictGrace(Duration strictGrace) {
        this.strictGrace = strictGrace;
    }

    public Duration getTimeout() {
        return timeout;
    }

    public void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }

}
