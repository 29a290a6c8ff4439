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
     * Baggage names recorded as span tags: a span whose context carries a value of one when it
     * ends gets a tag of that name (replacing one set before), as Spring Boot's Brave tracing does
     * with management.tracing.baggage.tag-fields.
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
