package dev.tracing.core;

/**
 * What a span keeps of its exception once it is held for long: the exception's type and its
 * message, cut as a tag value is, without a stack trace, a cause or the exception's own fields.
 * The in-memory store keeps this in place of the exception a span recorded (see
 * {@link RecordedSpan#withErrorSummary()}).
 *
 * <p>Design notes: an exception can hold much more than its message (a client's
 * {@code HttpServerErrorException} holds the whole response body, a logged one its stack trace and
 * causes), and a store of thousands of spans kept for minutes would keep all of it.
 */
public final class ErrorSummary extends RuntimeException {

    private final String type;

    ErrorSummary(String type, String message) {
        super(message, null, false, false);
        this.type = type;
    }

    /** The class name of the exception this stands for. */
    public String type() {
        return type;
    }

    /** The class name of {@code error}, or of the exception it stands for when it is a summary. */
    public static String typeOf(Throwable error) {
        return error instanceof ErrorSummary summary ? summary.type : error.getClass().getName();
    }

    /** The simple class name of {@code error}, or of the exception it stands for when it is a summary. */
    public static String simpleTypeOf(Throwable error) {
        if (!(error instanceof ErrorSummary summary)) {
            return error.getClass().getSimpleName();
        }
        String type = summary.type;
        return type.substring(Math.max(type.lastIndexOf('.'), type.lastIndexOf('$')) + 1);
    }

    /** As the exception it stands for would print itself: its type, and its message when it has one. */
    @Override
    public String toString() {
        String message = getMessage();
        return message != null ? type + ": " + message : type;
    }

}
