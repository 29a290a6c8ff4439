package dev.tracing.propagation;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.tracing.core.BaggageFields;
import dev.tracing.internal.HttpTokens;
import io.micrometer.tracing.propagation.Propagator;

/**
 * The W3C Baggage {@code baggage} header, limited to the names allowed to cross a process
 * boundary ({@code trace.baggage.remote-fields}).
 *
 * <pre>{@code
 * baggage: userId=alice,tenant=acme%20corp;prop=ignored
 * }</pre>
 *
 * <p>Values are percent-encoded as UTF-8: on inject every character outside the specification's
 * {@code baggage-octet} set, and {@code '%'} itself, is encoded; on extract percent sequences are
 * decoded (a malformed sequence is kept literally, invalid UTF-8 becomes U+FFFD). Optional
 * whitespace around keys, values and separators is trimmed, properties after {@code ';'} are
 * ignored, and several {@code baggage} headers are one list. A member whose key is not a token
 * or whose value holds characters outside {@code baggage-octet} is skipped, the others are kept.
 *
 * <p>Limits: 64 members and 8192 bytes. On extract, members past the 64th or ending beyond the
 * 8192nd character of the (joined) header are ignored, those before are kept. On inject, members
 * are added in the configured name order until the next one would exceed a limit.
 *
 * <p>Design notes: names are matched exactly (case-sensitive) as configured, by comparing the
 * header's key region with each allowed name in place, so members that are not allowed cost no
 * allocation, and a kept entry reuses the configured name string. A value is only copied when
 * kept, and only decoded through a byte buffer when it contains {@code '%'}. The byte limit is
 * counted in characters: a compliant header is ASCII, where the two are equal.
 */
final class W3cBaggageFormat {

    static final String BAGGAGE = "baggage";

    static final int MAX_MEMBERS = 64;

    static final int MAX_BYTES = 8192;

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final String[] names;

    private final List<String> fields;

    /**
     * Creates a format that propagates only {@code allowedNames}.
     * @param allowedNames the baggage names allowed to cross a process boundary, matched exactly;
     * null or empty for none
     * @throws IllegalArgumentException when a name is not a valid W3C baggage key (an RFC 9110
     * token)
     */
    public W3cBaggageFormat(Collection<String> allowedNames) {
        Set<String> unique = new LinkedHashSet<>();
        if (allowedNames != null) {
            for (String name : allowedNames) {
                if (name == null || !HttpTokens.isToken(name, 0, name.length())) {
                    throw new IllegalArgumentException("'" + name
                            + "' is not a valid W3C baggage key (letters, digits and !#$%&'*+-.^_`|~ only)");
                }
                unique.add(name);
            }
        }
        this.names = unique.toArray(new String[0]);
        this.fields = this.names.length == 0 ? Collections.emptyList() : List.of(BAGGAGE);
    }

    /** Returns {@code baggage} when at least one name is allowed, else an empty list. */
    public List<String> fields() {
        return fields;
    }

    /** Returns the allowed names, in the configured order without duplicates. */
    public List<String> allowedNames() {
        return List.of(names);
    }

    /**
     * Writes the allowed entries of {@code baggage} as one {@code baggage} header, in the configured
     * name order, stopping before the member that would exceed 64 members or 8192 bytes. Writes
     * nothing when no allowed entry is set.
     */
    public <C> void inject(BaggageFields baggage, C carrier, Propagator.Setter<C> setter) {
        if (names.length == 0 || baggage == null || baggage.isEmpty()) {
            return;
        }
        StringBuilder out = null;
        int count = 0;
        for (String name : names) {
            String value = baggage.get(name);
            if (value == null) {
                continue;
            }
            if (out == null) {
                out = new StringBuilder(64);
            }
            int mark = out.length();
            if (count > 0) {
                out.append(',');
            }
            out.append(name).append('=');
            encode(value, out);
            if (count + 1 > MAX_MEMBERS || out.length() > MAX_BYTES) {
                out.setLength(mark);
                break;
            }
            count++;
        }
        if (count > 0) {
            setter.set(carrier, BAGGAGE, out.toString());
        }
    }

    /**
     * Returns the allowed entries of the {@code baggage} headers, or null when there are none
     * (or no name is allowed).
     */
    public <C> BaggageFields extract(C carrier, Propagator.Getter<C> getter) {
        if (names.length == 0) {
            return null;
        }
        Iterable<String> values = getter.getAll(carrier, BAGGAGE);
        if (values == null) {
            return null;
        }
        Map<String, String> kept = null;
        int members = 0;
        int consumed = 0; // characters of the joined header before the current value
        boolean first = true;
        for (String value : values) {
            if (value == null) {
                continue;
            }
            if (!first) {
                consumed++; // the ',' joining two headers
            }
            first = false;
            int length = value.length();
            int pos = 0;
            while (pos < length) {
                int comma = value.indexOf(',', pos);
                int memberEnd = comma < 0 ? length : comma;
                if (!isBlank(value, pos, memberEnd)) {
                    members++;
                    if (members > MAX_MEMBERS || consumed + memberEnd > MAX_BYTES) {
                        return toBaggage(kept);
                    }
                    kept = keepMember(value, pos, memberEnd, kept);
                }
                pos = memberEnd + 1;
            }
            consumed += length;
        }
        return toBaggage(kept);
    }

    private Map<String, String> keepMember(String header, int start, int end, Map<String, String> kept) {
        int semicolon = indexOf(header, ';', start, end);
        if (semicolon >= 0) {
            end = semicolon; // properties are not propagated
        }
        int equals = indexOf(header, '=', start, end);
        if (equals < 0) {
            return kept;
        }
        int keyStart = W3cTraceContextFormat.skipOws(header, start, equals);
        int keyEnd = W3cTraceContextFormat.trimOws(header, keyStart, equals);
        String name = allowedName(header, keyStart, keyEnd);
        if (name == null) {
            return kept;
        }
        int valueStart = W3cTraceContextFormat.skipOws(header, equals + 1, end);
        int valueEnd = W3cTraceContextFormat.trimOws(header, valueStart, end);
        if (!isBaggageValue(header, valueStart, valueEnd)) {
            return kept;
        }
        if (kept == null) {
            kept = new LinkedHashMap<>();
        }
        kept.put(name, decode(header, valueStart, valueEnd));
        return kept;
    }

    /**
     * Returns the index of {@code c} in {@code [start, end)} of {@code s}, or -1. Searches stop at
     * the member's end, so a long header costs time linear in its length, not per member.
     */
    private static int indexOf(String s, char c, int start, int end) {
        for (int i = start; i < end; i++) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    private String allowedName(String header, int start, int end) {
        int length = end - start;
        if (length == 0) {
            return null;
        }
        for (String name : names) {
            if (name.length() == length && header.regionMatches(start, name, 0, length)) {
                return name;
            }
        }
        return null;
    }

    private static BaggageFields toBaggage(Map<String, String> kept) {
        return kept == null ? null : BaggageFields.of(kept);
    }

    /** Appends {@code value} percent-encoded as UTF-8 where it is not a baggage-octet or is '%'. */
    static void encode(String value, StringBuilder out) {
        int length = value.length();
        for (int i = 0; i < length; i++) {
            char c = value.charAt(i);
            if (c < 0x80) {
                if (isBaggageOctet(c) && c != '%') {
                    out.append(c);
                }
                else {
                    appendEscaped(out, c);
                }
                continue;
            }
            int codePoint = c;
            if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(value.charAt(i + 1))) {
                codePoint = Character.toCodePoint(c, value.charAt(++i));
            }
            else if (Character.isSurrogate(c)) {
                codePoint = 0xFFFD; // a lone surrogate has no UTF-8 form
            }
            if (codePoint < 0x800) {
                appendEscaped(out, 0xC0 | (codePoint >> 6));
                appendEscaped(out, 0x80 | (codePoint & 0x3F));
            }
            else if (codePoint < 0x10000) {
                appendEscaped(out, 0xE0 | (codePoint >> 12));
                appendEscaped(out, 0x80 | ((codePoint >> 6) & 0x3F));
                appendEscaped(out, 0x80 | (codePoint & 0x3F));
            }
            else {
                appendEscaped(out, 0xF0 | (codePoint >> 18));
                appendEscaped(out, 0x80 | ((codePoint >> 12) & 0x3F));
                appendEscaped(out, 0x80 | ((codePoint >> 6) & 0x3F));
                appendEscaped(out, 0x80 | (codePoint & 0x3F));
            }
        }
    }

    private static void appendEscaped(StringBuilder out, int octet) {
        out.append('%').append(HEX[(octet >> 4) & 0xF]).append(HEX[octet & 0xF]);
    }

    /** Returns the percent-decoded value in {@code [start, end)}. */
    static String decode(String header, int start, int end) {
        int percent = indexOf(header, '%', start, end);
        if (percent < 0) {
            return header.substring(start, end);
        }
        byte[] bytes = new byte[end - start];
        int n = 0;
        for (int i = start; i < end; i++) {
            char c = header.charAt(i);
            if (c == '%' && i + 2 < end) {
                int hi = Character.digit(header.charAt(i + 1), 16);
                int lo = Character.digit(header.charAt(i + 2), 16);
                if (hi >= 0 && lo >= 0) {
                    bytes[n++] = (byte) ((hi << 4) | lo);
                    i += 2;
                    continue;
                }
            }
            bytes[n++] = (byte) c; // a baggage-octet is ASCII
        }
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
    }

    /** {@code baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E} */
    static boolean isBaggageOctet(char c) {
        return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
    }

    private static boolean isBaggageValue(String s, int start, int end) {
        for (int i = start; i < end; i++) {
            if (!isBaggageOctet(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isBlank(String s, int start, int end) {
        for (int i = start; i < end; i++) {
            if (!W3cTraceContextFormat.isOws(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

}
