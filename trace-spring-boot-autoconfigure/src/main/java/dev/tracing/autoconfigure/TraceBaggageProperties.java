package dev.tracing.autoconfigure;

import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** Baggage: key-value pairs that travel with the trace. */
@ConfigurationProperties("trace.baggage")
public class TraceBaggageProperties {

    /**
     * Baggage names that cross process boundaries in the W3C 'baggage' header. Baggage with
     * any other name stays in this process, and incoming baggage with other names is
     * ignored.
     */
    private List<String> remoteFields = new ArrayList<>();

    /** Baggage names copied into the logging MDC while a span that carries them is current. */
    private List<String> correlationFields = new ArrayList<>();

    public List<String> getRemoteFields() {
        return remoteFields;
    }

    public void setRemoteFields(List<String> remoteFields) {
        this.remoteFields = remoteFields;
    }

    public List<String> getCorrelationFields() {
        return correlationFields;
    }

    public void setCorrelationFields(List<String> correlationFields) {
        this.correlationFields = correlationFields;
    }

}
