package dev.tracing.autoconfigure;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** Micrometer Tracing's @NewSpan, @ContinueSpan and @SpanTag annotations. */
@ConfigurationProperties("trace.annotations")
public class TraceAnnotationsProperties {

    /** Whether @NewSpan and @ContinueSpan methods get spans, when AspectJ is on the classpath. */
    private boolean enabled = true;

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

}
