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
 * Baggage in one header per entry, limited to the names allowed to cross a process boundary
 * ({@code trace.baggage.remote-fields}), exactly as the W3C {@code baggage} header is. Two kinds:
 * <ul>
 * <li>{@linkplain #jaeger Jaeger's}, {@code uberctx-{name}}, values percent-encoded as UTF-8 where
 * they hold a character outside W3C's {@code baggage-octet} set or {@code '%'}, as Jaeger's clients
 * URL-encode them; percent sequences are decoded on extract (a malformed one is kept literally).
 * A {@code '+'} is kept as it is: Jaeger's clients decode it as a space, while OpenTelemetry
 * writes values unencoded, where it is a plus.</li>
 * <li>{@linkplain #named The name itself}, as Brave's and OpenTelemetry's remote baggage fields are
 * carried ({@code tenant: acme corp}): values as they are, so a gateway's own header reads as
 * the entry, and a value outside printable ASCII, which is no valid header value, is not
 * written.</li>
 * </ul>
 *
 * <pre>{@code
 * uberctx-tenant: acme%20corp
 * tenant: acme corp
 * }</pre>
 *
 * <p>Header names are the prefix and the allowed name in lower case: HTTP header names are
 * case-insensitive (and lower case on HTTP/2 and in gRPC metadata), Brave writes its remote
 * fields' headers in lower case, and OpenTelemetry's {@code JaegerPropagator} lower-cases the names
 * it reads anyway. A name with a character outside {@code [-_.0-9a-z]}, all a gRPC metadata key
 * takes ({@code x+y} is a valid W3C baggage key), has no header of its own: it travels in W3C
 * {@code baggage} only. A header found is the entry of the allowed name as configured. Optional
 * whitespace around a value is trimmed, and a value with a character outside printable ASCII,
 * which no compliant sender writes, is skipped as a W3C member would be. At most 8192 characters
 * of names and values are read or written, the W3C baggage limit that OpenTelemetry applies to
 * Jaeger's too; entries are taken in the configured name order until the next one would exceed it.
 *
 * <p>Design notes: Micrometer's {@code Getter} cannot list a carrier's header names, so the
 * headers are looked up by name, one per allowed name, which is also what keeps every other
 * header out: nothing is allocated for a header that is absent or not allowed. The header names
 * are built once.
 */
final class EntryHeaderBaggageFormat {

    static final String JAEGER_PREFIX = "uberctx-";

    static final int MAX_CHARACTERS = W3cBaggageFormat.MAX_BYTES;

    private final String[] names;

    private final String[] headerNames;

    private final boolean percentEncoded;

    private final List<String> fields;

    /**
     * Jaeger's {@code uberctx-} headers.
     * @param allowedNames the baggage names allowed to cross a process boundary, already validated
     * as tokens (as {@link W3cBaggageFormat#allowedNames()} are); empty for none
     */
    static EntryHeaderBaggageFormat jaeger(Collection<String> allowedNames) {
        return new EntryHeaderBaggageFormat(JAEGER_PREFIX, true, allowedNames);
    }

    /**
     * Headers named as the entries, values as they are.
     * @param allowedNames the baggage names allowed to cross a process boundary, already validated
     * as tokens; empty for none
     */
    static EntryHeaderBaggageFormat named(Collection<String> allowedNames) {
        return new EntryHeaderBaggageFormat("", false, allowedNames);
    }

    private EntryHeaderBaggageFormat(String prefix, boolean percentEncoded, Collection<String> allowedNames) {
        List<String> portable = new ArrayList<>();
        for (String name : allowedNames) {
            if (isPortableHeaderName(name.toLowerCase(Locale.ROOT))) {
                portable.add(name);
            }
        }
        this.names = portable.toArray(new String[0]);
        this.headerNames = new String[names.length];
        for (int i = 0; i < names.length; i++) {
            headerNames[i] = prefix + names[i].toLowerCase(Locale.ROOT);
        }
        this.percentEncoded = percentEncoded;
        this.fields = Collections.unmodifiableList(new ArrayList<>(List.of(headerNames)));
    }

    /** Returns the header name of each allowed name. */
    List<String> fields() {
        return fields;
    }

    /** Writes one header per allowed entry of {@code baggage}, within the limit. */
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
            if (percentEncoded) {
                if (out == null) {
                    out = new StringBuilder(value.length() + 16);
                }
                out.setLength(0);
                W3cBaggageFormat.encode(value, out);
                value = out.toString();
            }
            else {
                // a header value neither starts nor ends with whitespace (RFC 9110 5.5): Netty refuses the
                // first, so the call would fail, and every receiver trims both, so this is what it reads
                int start = W3cTraceContextFormat.skipOws(value, 0, value.length());
                int end = W3cTraceContextFormat.trimOws(value, start, value.length());
                if (start == end || !isPrintableAscii(value, start, end)) {
                    continue;
                }
                value = value.substring(start, end);
            }
            written += names[i].length() + value.length();
            if (written > MAX_CHARACTERS) {
                return;
            }
            setter.set(carrier, headerNames[i], value);
        }
    }

    /** Returns the allowed entries found in their headers, or null when there is none. */
    <C> BaggageFields extract(C carrier, Propagator.Getter<C> getter) {
        Map<String, String> kept = null;
        int read = 0;
        for (int i = 0; i < names.length; i++) {
            String header = getter.get(carrier, headerNames[i]);
            if (header == null) {
                continue;
            }
            int start = W3cTraceContextFormat.skipOws(header, 0, header.length());
            int end = W3cTraceContextFormat.trimOws(header, start, header.length());
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
            kept.put(names[i], percentEncoded ? W3cBaggageFormat.decode(header, start, end) : header.substring(start, end));
        }
        return kept == null ? null : BaggageFields.of(kept);
    }

    /**
     * Whether every carrier takes the name as a header: gRPC metadata keys are {@code [-_.0-9a-z]}
     * only, while a W3C baggage key may hold any token character ({@code x+y}).
     */
    private static boolean isPortableHeaderName(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')) {
                return false;
            }
        }
        return !name.isEmpty();
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
