package dev.tracing.autoconfigure;

import dev.tracing.core.SpanLimits;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** What one span may hold at most, whatever the input: bounds each span's memory. */
@ConfigurationProperties("trace.span-limits")
public class TraceSpanLimitsProperties {

    /** Tags a span keeps at most; later new keys are dropped and counted. */
    private int maxTags = SpanLimits.DEFAULT_MAX_TAGS;

    /** Events a span keeps at most; later ones are dropped and counted. */
    private int maxEvents = SpanLimits.DEFAULT_MAX_EVENTS;

    /**
     * Links a span keeps at most (a batch span links to each record); later ones are dropped and
     * counted. A link's attributes keep to max-tags and max-tag-value-length, as the span's tags.
     */
    private int maxLinks = SpanLimits.DEFAULT_MAX_LINKS;

    /** Characters of a tag's or an event's value (and an error's message, as exported) kept at most; a longer value is cut. */
    private int maxTagValueLength = SpanLimits.DEFAULT_MAX_TAG_VALUE_LENGTH;

    public int getMaxTags() {
        return maxTags;
    }

    public void setMaxTags(int maxTags) {
        this.maxTags = maxTags;
    }

    public int getMaxEvents() {
        return maxEvents;
    }

    public void setMaxEvents(int maxEvents) {
        this.maxEvents = maxEvents;
    }

    public int getMaxLinks() {
        return maxLinks;
    }

    public void setMaxLinks(int maxLinks) {
        this.maxLinks = maxLinks;
    }

    public int getMaxTagValueLength() {
        return maxTagValueLength;
    }

    public void setMaxTagValueLength(int maxTagValueLength) {
        this.maxTagValueLength = maxTagValueLength;
    }

}
