package dev.tracing.instrument.http;

/**
 * Span names made lately, by method and key (a server's route pattern, a client's URI template), so
 * that a request does not build its span's name again.
 *
 * <p>Design notes: a direct-mapped table of immutable entries, like a CPU cache: bounded whatever
 * the keys (a client's template is whatever string the application passed with its variables), no
 * lock, and a reader sees an entry whole. A race loses an entry or makes one twice, and either is
 * right. Keys are compared by identity first: a route's pattern string is the same instance on
 * every request.
 */
final class SpanNames {

    private static final int SIZE = 64;

    private final Named[] table = new Named[SIZE];

    private final boolean templates;

    /**
     * @param templates whether keys are URI templates, named after their path
     *        ({@link HttpSpanPolicy#templatePath}), rather than routes, named as they are
     */
    SpanNames(boolean templates) {
        this.templates = templates;
    }

    /** Returns the name of a span of {@code method} (a known method or {@code HTTP}) with {@code key}. */
    String name(String method, String key) {
        return named(method, key).name();
    }

    /** Returns the entry for {@code method} and {@code key}, made and kept when missing. */
    Named named(String method, String key) {
        int slot = (31 * method.hashCode() + key.hashCode()) & (SIZE - 1);
        Named known = table[slot];
        if (known != null && (known.key == key || known.key.equals(key)) && known.method.equals(method)) {
            return known;
        }
        String path = templates ? HttpSpanPolicy.templatePath(key) : key;
        Named made = new Named(method, key, path == null ? method : method + " " + path, path);
        table[slot] = made;
        return made;
    }

    /**
     * A span's name, and the path of its template (the route itself for a server), null for a template
     * without a path variable.
     */
    record Named(String method, String key, String name, String templatePath) {
    }

}
