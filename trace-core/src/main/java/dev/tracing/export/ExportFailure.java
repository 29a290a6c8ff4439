package dev.tracing.export;

import java.io.IOException;

/**
 * A send to a backend that failed, with the kind of failure ({@code HTTP 401}, {@code redirect},
 * {@code timed out}, {@code connection failed}, ...) so that each kind is logged once and then
 * rarely. The message names the endpoint without its user-info and query.
 */
public final class ExportFailure extends IOException {

    private final String kind;

    public ExportFailure(String kind, String message) {
        super(message);
        this.kind = kind;
    }

    /** What kind of failure this was: the same kind of failure is logged at most once a minute. */
    public String kind() {
        return kind;
    }

}
