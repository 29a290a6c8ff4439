package dev.tracing.export;

import java.io.IOException;

/**
 * A send to a backend that failed, with the kind of failure ({@code HTTP 401}, {@code redirect},
 * {@code timed out}, {@code connection failed}, ...) so that each kind is logged once and then
 * rarely. The message names the endpoint without its user-info and query.
 */
public final class ExportFailure extends IOException {

    /**
     * The kind of a message the backend (or a proxy before it) refused as too large, HTTP 413: the
     * exporters send its spans again in smaller messages.
     */
    public static final String CONTENT_TOO_LARGE = "HTTP 413";

    private final String kind;

    public ExportFailure(String kind, String message) {
        super(message);
        this.kind = kind;
    }

    /** What kind of failure this was: the same kind of failure is logged at most once a minute. */
    public String kind() {
        return kind;
    }

    /** Whether {@code failure} is a message refused as too large ({@link #CONTENT_TOO_LARGE}). */
    static boolean isContentTooLarge(IOException failure) {
        return failure instanceof ExportFailure export && CONTENT_TOO_LARGE.equals(export.kind);
    }

}
