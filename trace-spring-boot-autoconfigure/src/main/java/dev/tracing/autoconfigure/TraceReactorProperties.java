package dev.tracing.autoconfigure;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** How the current span follows a reactive chain. */
@ConfigurationProperties("trace.reactor")
public class TraceReactorProperties {

    /**
     * 'auto': Reactor restores the current span (and the MDC) in every operator, so every log
     * line of a chain carries the trace. 'limited': only in handle/tap and the ReactorTracing
     * helper, the cheapest option.
     */
    private ContextPropagation contextPropagation = ContextPropagation.AUTO;

    public ContextPropagation getContextPropagation() {
        return contextPropagation;
    }

    public void setContextPropagation(ContextPropagation contextPropagation) {
        this.contextPropagation = contextPropagation;
    }

    /** How far Reactor restores the current span. */
    public enum ContextPropagation {

        /** In every operator. */
        AUTO,

        /** In handle/tap and the ReactorTracing helper only. */
        LIMITED

    }

}
