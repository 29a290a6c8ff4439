package dev.tracing.autoconfigure;

/**
 * A {@code trace.*} property whose value was refused, where the value can hold a credential (an
 * endpoint's user-info or query, a header's value): the message names the property and the
 * reason, never the value.
 */
public final class InvalidHiddenPropertyException extends IllegalStateException {

    private final String property;

    private final String reason;

    InvalidHiddenPropertyException(String property, String reason, Throwable cause) {
        super("Invalid value for configuration property '" + property + "': " + reason, cause);
        this.property = property;
        this.reason = reason;
    }

    /** The property's name, e.g. {@code trace.export.otlp.endpoint}. */
    public String property() {
        return property;
    }

    /** Why the value was refused; it does not show the value. */
    public String reason() {
        return reason;
    }

}
