package dev.tracing.core;

/**
 * What one span may hold at most, whatever the input: tags, events, links, and the length of a
 * tag's or an event's value. What goes beyond is dropped (a value is cut) and counted on the span,
 * so the memory of a span, and of the store and queues that hold spans, is bounded.
 *
 * <p>The defaults are OpenTelemetry's for the counts (128 each); a value is cut at 1,024
 * characters, where OpenTelemetry sets no limit: long enough for nearly every URL, short enough that a 7 KB
 * header a client sends is not kept whole.
 */
public final class SpanLimits {

    /** The tags a span keeps at most, without a choice. */
    public static final int DEFAULT_MAX_TAGS = 128;

    /** The events a span keeps at most, without a choice. */
    public static final int DEFAULT_MAX_EVENTS = 128;

    /** The links a span keeps at most, without a choice. */
    public static final int DEFAULT_MAX_LINKS = 128;

    /** The characters of a tag's or an event's value kept at most, without a choice. */
    public static final int DEFAULT_MAX_TAG_VALUE_LENGTH = 1024;

    /** The defaults. */
    public static final SpanLimits DEFAULTS = builder().build();

    private final int maxTags;

    private final int maxEvents;

    private final int maxLinks;

    private final int maxTagValueLength;

    private SpanLimits(Builder builder) {
        this.maxTags = builder.maxTags;
        this.maxEvents = builder.maxEvents;
        this.maxLinks = builder.maxLinks;
        this.maxTagValueLength = builder.maxTagValueLength;
    }

    /** Returns a builder that starts from the {@code DEFAULT_*} constants. */
    public static Builder builder() {
        return new Builder();
    }

    public int maxTags() {
        return maxTags;
    }

    public int maxEvents() {
        return maxEvents;
    }

    public int maxLinks() {
        return maxLinks;
    }

    public int maxTagValueLength() {
        return maxTagValueLength;
    }

    /** Returns {@code value} cut to {@link #maxTagValueLength()}, never between the halves of a surrogate pair. */
    public String cut(String value) {
        if (value.length() <= maxTagValueLength) {
            return value;
        }
        int end = maxTagValueLength;
        if (end > 0 && Character.isHighSurrogate(value.charAt(end - 1))) {
            end--;
        }
        return value.substring(0, end);
    }

    @Override
    public String toString() {
        return "SpanLimits{tags=" + maxTags + ", events=" + maxEvents + ", links=" + maxLinks + ", valueLength="
                + maxTagValueLength + "}";
    }

    /** Configures {@link SpanLimits}; each setter checks its value. */
    public static final class Builder {

        private int maxTags = DEFAULT_MAX_TAGS;

        private int maxEvents = DEFAULT_MAX_EVENTS;

        private int maxLinks = DEFAULT_MAX_LINKS;

        private int maxTagValueLength = DEFAULT_MAX_TAG_VALUE_LENGTH;

        private Builder() {
        }

        /**
         * The tags a span keeps at most; later new keys are dropped (a key already there is
         * still updated).
         * @throws IllegalArgumentException when it is negative
         */
        public Builder maxTags(int maxTags) {
            this.maxTags = notNegative(maxTags);
            return this;
        }

        /**
         * The events a span keeps at most; later ones are dropped.
         * @throws IllegalArgumentException when it is negative
         */
        public Builder maxEvents(int maxEvents) {
            this.maxEvents = notNegative(maxEvents);
            return this;
        }

        /**
         * The links a span keeps at most; later ones are dropped.
         * @throws IllegalArgumentException when it is negative
         */
        public Builder maxLinks(int maxLinks) {
            this.maxLinks = notNegative(maxLinks);
            return this;
        }

        /**
         * The characters of a tag's or an event's value kept at most; a longer value is cut.
         * @throws IllegalArgumentException when it is not positive
         */
        public Builder maxTagValueLength(int maxTagValueLength) {
            if (maxTagValueLength < 1) {
                throw new IllegalArgumentException("must be positive, was " + maxTagValueLength);
            }
            this.maxTagValueLength = maxTagValueLength;
            return this;
        }

        private static int notNegative(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("must not be negative, was " + value);
            }
            return value;
        }

        /** Returns the limits. */
        public SpanLimits build() {
            return new SpanLimits(this);
        }

    }

}
