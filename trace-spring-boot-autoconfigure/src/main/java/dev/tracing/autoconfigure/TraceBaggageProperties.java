package dev.tracing.autoconfigure;

import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** Baggage: key-value pairs that travel with the trace. */
@ConfigurationProperties("trace.baggage")
public class TraceBaggageProperties {

    /**
     * Baggage names that cross process boundaries: in the W3C 'baggage' header, in a header of
     * each name (lower case; W3C's value wins where both come), and in 'uberctx-' headers when
     * jaeger is produced or consumed. Baggage with any other name stays in this process, and
     * incoming baggage with other names is ignored. A trace header's name fails start-up.
     */
    private List<String> remoteFields = new ArrayList<>();

    /** Baggage names copied into the logging MDC while a span that carries them is current. */
    private List<String> correlationFields = new ArrayList<>();

    /**
     * Baggage names recorded as span tags, as Spring Boot's management.tracing.baggage.tag-fields:
     * a value set on a span, or put in scope while it is current, is a tag of that span, and a
     * span that carries a value when it ends (inherited, or from the caller's headers) gets it
     * then, replacing a tag of the same name.
     */
    private List<String> tagFields = new ArrayList<>();

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

    public List<String> getTagFields() {
        return tagFields;
    }

    public void setTagFields(List<String> tagFields) {
        this.tagFields = tagFields;
    }

}
