package dev.tracing.instrument.http;

import java.util.regex.Pattern;

/**
 * The request paths that get no span: the regular expression of
 * {@code trace.web.server.skip-pattern}, asked once per request.
 *
 * <p>Design notes: the default pattern (the actuator base path, the favicon and static resources
 * by extension) is matched by hand, with exactly the regular expression's result, because it is
 * asked on every request of every application that keeps the default, and a {@link Pattern}
 * match allocates a {@code Matcher} and backtracks through {@code .*}. Any other pattern is
 * matched as the regular expression it is.
 */
final class SkipPattern {

    /** The static resource extensions the default skips ({@code jpe?g} and {@code woff2?} spelled out). */
    private static final String[] EXTENSIONS = { "css", "js", "map", "png", "jpg", "jpeg", "gif", "svg", "ico",
            "webp", "woff", "woff2", "ttf", "eot" };

    /** The default pattern after its actuator part: the favicon, and static resources. */
    private static final String RESOURCES = "/favicon\\.ico|"
            + ".*\\.(css|js|map|png|jpe?g|gif|svg|ico|webp|woff2?|ttf|eot)";

    private static final String QUOTE = "\\Q";

    private static final String END_QUOTE = "\\E";

    private static final String SUBPATHS = "(/.*)?|";

    private final Pattern regex;

    /** The actuator base path the default skips, with what is under it; null for none. */
    private final String base;

    private SkipPattern(Pattern regex, String base) {
        this.regex = regex;
        this.base = base;
    }

    /** The default pattern: the actuator base path (and below), the favicon and static resources. */
    static String defaultPattern(String actuatorBasePath) {
        if (actuatorBasePath == null || actuatorBasePath.isEmpty() || "/".equals(actuatorBasePath)) {
            return RESOURCES;
        }
        String base = actuatorBasePath.endsWith("/")
                ? actuatorBasePath.substring(0, actuatorBasePath.length() - 1) : actuatorBasePath;
        return Pattern.quote(base) + SUBPATHS + RESOURCES;
    }

    /** The pattern of {@code regex}, or null when it is null or empty (nothing is skipped). */
    static SkipPattern compile(String regex) {
        if (regex == null || regex.isEmpty()) {
            return null;
        }
        if (regex.equals(RESOURCES)) {
            return new SkipPattern(null, null);
        }
        // Pattern.quote(base) is \Q base \E unless base itself contains \E; that rare one stays a regex
        String head = regex.length() > RESOURCES.length() ? regex.substring(0, regex.length() - RESOURCES.length())
                : "";
        if (regex.endsWith(RESOURCES) && head.startsWith(QUOTE) && head.endsWith(END_QUOTE + SUBPATHS)) {
            String base = head.substring(QUOTE.length(), head.length() - END_QUOTE.length() - SUBPATHS.length());
            if (!base.contains(END_QUOTE)) {
                return new SkipPattern(null, base);
            }
        }
        return new SkipPattern(Pattern.compile(regex), null);
    }

    /** Returns true when {@code path} matches the whole pattern. */
    boolean matches(String path) {
        if (regex != null) {
            return regex.matcher(path).matches();
        }
        int length = path.length();
        if (base != null && path.startsWith(base)) {
            // \Q base \E(/.*)? : the base itself, or anything under it on one line
            if (length == base.length() || path.charAt(base.length()) == '/' && !hasLineTerminator(path,
                    base.length() + 1, length)) {
                return true;
            }
        }
        if (path.equals("/favicon.ico")) {
            return true;
        }
        // .*\.(extensions) : one line ending in a dot and one of the extensions
        int dot = path.lastIndexOf('.');
        if (dot < 0 || hasLineTerminator(path, 0, dot)) {
            return false;
        }
        int extension = length - dot - 1;
        for (String candidate : EXTENSIONS) {
            if (candidate.length() == extension && path.startsWith(candidate, dot + 1)) {
                return true;
            }
        }
        return false;
    }

    /** The characters a regular expression's {@code .} does not match, without flags. */
    private static boolean hasLineTerminator(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c == '\n' || c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return regex != null ? regex.pattern() : base != null ? defaultPattern(base) : RESOURCES;
    }

}
