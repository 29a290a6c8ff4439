package dev.tracing.propagation;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.tracing.core.BaggageFields;
import io.micrometer.tracing.propagation.Propagator;

/**
 * Jaeger's baggage headers, one per entry, {@code uberctx-{name}: value}, limited to the names
 * allowed to cross a process boundary ({@code trace.baggage.remote-fields}), exactly as the W3C
 * {@code baggage} header is.
 *
 * <pre>{@code
 * uberctx-tenant: acme%20corp
 * }</pre>
 *
 * <p>Header names are {@code uberctx-} and the allowed name in lower case: HTTP header names are
 * case-insensitive (and lower case on HTTP/2 and in gRPC metadata), and OpenTelemetry's
 * {@code JaegerPropagator} lower-cases the names it reads anyway. A header found is the entry of
 * the allowed name as configured. Values are percent-encoded as UTF-8 where they hold a character
 * outside W3C's {@code baggage-octet} set or {@code '%'}, as Jaeger's clients URL-encode them, and
 * percent sequences are decoded on extract (a malformed one is kept literally); optional
 * whitespace around a value is trimmed, and a value with a character outside printable ASCII,
 * which no compliant sender writes, is skipped as a W3C member would be. At most 8192 characters of names and values are read or
 * written, the W3C baggage limit that OpenTelemetry applies here too; entries are taken in the
 * configured name order until the next one would exceed it.
 *
 * <p>Design notes: Micrometer's {@code Getter} cannot list a carrier's header names, so the
 * headers are looked up by name, one per allowed name, which is also what keeps every other
 * {@code uberctx-} header out: nothing is allocated for a header that is absent or not allowed.
 * The header names are built once. A {@code '+'} is kept as it is: Jaeger's clients decode it as a
 * space, while OpenTelemetry writes values unencoded, where it is a plus.
 */
final class JaegerBaggageFormat {

    static final String PREFIX = "uberctx-";

    static final int MAX_CHARACTERS = W3cBaggageFormat.MAX_BYTES;

    private final String[] names;

    private final String[] headerNames;

    private final List<String> fields;

    /**
     * Creates a format that propagates only {@code allowedNames}.
     * @param allowedNames the baggage names allowed to cross a process boundary, already validated
     * as tokens (as {@link W3cBaggageFormat#allowedNames()} are); empty for none
     */
    JaegerBaggageFormat(Collection<String> allowedNames) {
        this.names = allowedNames.toArray(new String[0]);
        this.headerNames = new String[names.length];
        for (int i = 0; i < names.length; i++) {
            headerNames[i] = PREFIX + names[i].toLowerCase(Locale.ROOT);
        }
        this.fields = Collections.unmodifiableList(new ArrayList<>(List.of(headerNames)));
    }

    /** Returns the {@code uberctx-} header name of each allowed name. */
    List<String> fields() {
        return fields;
    }

    /** Writes one {@code uberctx-} header per allowed entry of {@code baggage}, within the limit. */
    <C> void inject(BaggageFields baggage, C carrier, Propagator.Setter<C> setter) {
        if (names.length == 0 || baggage == null || baggage.isEmpty()) {
            return;
        }
        int written = 0;
        StringBuilder out = null;
        for (int i = 0; i < names.length; i++) {
            String value = baggage.get(names[i]);
            if (value == null) {
                continue;
            }
            if (out == null) {
                out = new StringBuilder(value.length() + 16);
            }
            out.setLength(0);
            W3cBaggageFormat.encode(value, out);
            written += names[i].length() + out.length();
            if (written > MAX_CHARACTERS) {
                return;
            }
            setter.set(carrier, headerNames[i], out.toString());
        }
    }

    /** Returns the allowed entries found in {@code uberctx-} headers, or null when there is none. */
    <C> BaggageFields extract(C carrier, Propagator.Getter<C> getter) {
        Map<String, String> kept = null;
        int read = 0;
        for (int i = 0; i < names.length; i++) {
            String header = getter.get(carrier, headerNames[i]);
            if (header == null) {
                continue;
            }
            int start = 0;
            int end = header.length();
            while (start < end && W3cTraceContextFormat.isOws(header.charAt(start))) {
                start++;
            }
            while (end > start && W3cTraceContextFormat.isOws(header.charAt(end - 1))) {
                end--;
            }
            if (!isPrintableAscii(header, start, end)) {
                continue;
            }
            read += names[i].length() + end - start;
            if (read > MAX_CHARACTERS) {
                break;
            }
            if (kept == null) {
                kept = new LinkedHashMap<>();
            }
            kept.put(names[i], W3cBaggageFormat.decode(header, start, end));
        }
        return kept == null ? null : BaggageFields.of(kept);
    }

    /** Returns true when {@code [start, end)} holds only printable ASCII, spaces and tabs. */
    private static boolean isPrintableAscii(String s, int start, int end) {
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if ((c < 0x20 && c != '\t') || c > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
