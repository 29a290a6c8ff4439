package dev.tracing.autoconfigure;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** Kafka: trace headers on every record, PRODUCER and CONSUMER spans. */
@ConfigurationProperties("trace.kafka")
public class TraceKafkaProperties {

    /**
     * Whether records sent through Spring's producer factories carry trace headers and get a
     * PRODUCER span, and listener containers get CONSUMER spans.
     */
    private boolean enabled = true;

    /**
     * Whether a batch listener also gets one CONSUMER span per record, a child of that
     * record's context, beside the batch span that links to every record.
     */
    private boolean batchRecordSpans = false;

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public boolean isBatchRecordSpans() {
        return batchRecordSpans;
    }

    public void setBatchRecordSpans(boolean batchRecordSpans) {
        this.batchRecordSpans = batchRecordSpans;
    }

}
