package dev.tracing.internal;

/**
 * The RFC 9110 {@code token} check that HTTP header names and W3C baggage keys share.
 *
 * <p>Design notes: checked by index over a {@link CharSequence}, no regex, since baggage keys are
 * checked on the request path.
 */
public final class HttpTokens {

    private static final String TOKEN_SYMBOLS = "!#$%&'*+-.^_`|~";

    private HttpTokens() {
    }

    /** Returns true when {@code s[start, end)} is a non-empty token. */
    public static boolean isToken(CharSequence s, int start, int end) {
        if (start >= end) {
            return false;
        }
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || TOKEN_SYMBOLS.indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Returns true when {@code name} is a non-null, non-empty token: a valid HTTP header name. */
    public static boolean isHeaderName(String name) {
        return name != null && isToken(name, 0, name.length());
    }

}
