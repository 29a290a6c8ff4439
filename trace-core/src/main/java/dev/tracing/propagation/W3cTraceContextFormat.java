package dev.tracing.propagation;

import java.util.List;

import dev.tracing.core.SpanContext;
import dev.tracing.internal.HexCodec;
import io.micrometer.tracing.propagation.Propagator;

/**
 * W3C Trace Context: the {@code traceparent} header (Level 1, with Level 2's random trace id flag
 * passed on) and the {@code tracestate} header (the current, Level 2 grammar of its keys).
 *
 * <pre>{@code
 * traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
 * tracestate: congo=t61rcWkgMzE,rojo=00f067aa0ba902b7
 * }</pre>
 *
 * <p>Rules applied on extract, from the specification's parsing section and its test suite:
 * <ul>
 * <li>Version {@code 00} is exactly 55 characters. A higher version may append fields after a
 * {@code '-'}; only the first 55 characters are read. Version {@code ff} is invalid.</li>
 * <li>Only lower-case hex; all-zero trace id or parent id is invalid; of the flags the sampled
 * bit ({@code 0x01}) is used, and the random trace id bit ({@code 0x02}, Level 2) is written on
 * every {@code traceparent} of that trace id, as Level 2 requires. A trace started here does not
 * set it (a Level 1 reader that treats any flags but {@code 00} as sampled would take an
 * unsampled {@code 02} as sampled); other bits are not passed on.</li>
 * <li>Several {@code traceparent} values are invalid unless they are identical.</li>
 * <li>Several {@code tracestate} values are one list joined with {@code ','}. A list with more
 * than 32 members, or an invalid key or value, is dropped whole, while the {@code traceparent} is
 * still used. Of a duplicated key the first member is kept, the others dropped. Empty members are
 * skipped. A key starts with a lower-case letter or a digit and has up to 256 characters of
 * {@code a-z 0-9 _ - * / @}.</li>
 * <li>An invalid {@code traceparent} means no context, and then {@code tracestate} is ignored.</li>
 * </ul>
 *
 * <p>Design notes: {@code traceparent} is parsed by index over the header value, so a request
 * costs no allocation beyond the context itself. A valid {@code tracestate} is kept as the
 * string received when it is already in normal form (one header, no empty members, no optional
 * whitespace), so the usual case allocates nothing; otherwise a normalized copy is built once.
 * Leading and trailing optional whitespace around {@code traceparent} is tolerated, as HTTP field
 * values allow it and the W3C test suite sends it.
 */
final class W3cTraceContextFormat implements TraceContextFormat {

    /** The shared instance: this format has no state. */
    public static final W3cTraceContextFormat INSTANCE = new W3cTraceContextFormat();

    static final String TRACEPARENT = "traceparent";

    static final String TRACESTATE = "tracestate";

    static final int TRACEPARENT_LENGTH = 55;

    private static final int FLAG_SAMPLED = 0x01;

    private static final int FLAG_RANDOM_TRACE_ID = 0x02;

    static final int MAX_TRACESTATE_MEMBERS = 32;

    /**
     * The longest {@code tracestate} passed on: W3C asks for at least 512 characters, and this
     * keeps any one valid member (513 at most) while a list of 32 long members (16 KB, past
     * gRPC's 8 KiB metadata limit and most servers' 8 KB of headers) would fail every call after
     * it.
     */
    static final int MAX_TRACESTATE_LENGTH = 1024;

    private static final List<String> FIELDS = List.of(TRACEPARENT, TRACESTATE);

    /** Marks several different {@code traceparent} values. */
    private static final String CONFLICT = new String("conflict");

    /** Prefer {@link #INSTANCE}; this format has no state. */
    public W3cTraceContextFormat() {
    }

    @Override
    public List<String> fields() {
        return FIELDS;
    }

    /**
     * Writes {@code traceparent} (version 00, flags {@code 01} when sampled, {@code 00} otherwise,
     * including an unknown decision) and {@code tracestate} when the context has one. A context
     * without ids is not written: W3C cannot carry a bare sampling decision.
     */
    @Override
    public <C> void inject(SpanContext context, C carrier, Propagator.Setter<C> setter) {
        if (context == null || context.isSamplingFlagsOnly()) {
            return;
        }
        setter.set(carrier, TRACEPARENT, writeTraceparent(context));
        String traceState = context.traceState();
        if (traceState != null && !traceState.isEmpty()) {
            setter.set(carrier, TRACESTATE, traceState);
        }
    }

    static String writeTraceparent(SpanContext context) {
        byte[] out = HexCodec.buffer();
        out[0] = '0';
        out[1] = '0';
        out[2] = '-';
        HexCodec.writeHex64(context.traceIdHigh(), out, 3);
        HexCodec.writeHex64(context.traceIdLow(), out, 19);
        out[35] = '-';
        HexCodec.writeHex64(context.spanIdAsLong(), out, 36);
        out[52] = '-';
        out[53] = '0';
        out[54] = (byte) ('0' + (context.isSampled() ? 1 : 0) + (context.isRandomTraceId() ? 2 : 0));
        return HexCodec.latin1(out, TRACEPARENT_LENGTH);
    }

    /**
     * Returns the remote context in {@code traceparent}, with the valid {@code tracestate} if
     * any, or null when {@code traceparent} is absent, repeated with different values or invalid.
     */
    @Override
    public <C> SpanContext extract(C carrier, Propagator.Getter<C> getter) {
        String traceparent = single(getter.getAll(carrier, TRACEPARENT));
        if (traceparent == null || traceparent == CONFLICT) {
            return null;
        }
        SpanContext context = parseTraceparent(traceparent);
        if (context == null) {
            return null;
        }
        String traceState = parseTraceState(getter.getAll(carrier, TRACESTATE));
        return traceState == null ? context : context.withTraceState(traceState);
    }

    private static String single(Iterable<String> values) {
        if (values == null) {
            return null;
        }
        if (values instanceof List<String> list && list.size() <= 1) {
            // the usual carrier: the header absent or on one line, read without an iterator
            return list.isEmpty() ? null : list.get(0);
        }
        String result = null;
        for (String value : values) {
            if (value == null) {
                continue;
            }
            if (result == null) {
                result = value;
            }
            else if (!result.equals(value)) {
                return CONFLICT;
            }
        }
        return result;
    }

    /** Parses one {@code traceparent} value, or returns null when it is invalid. */
    static SpanContext parseTraceparent(CharSequence value) {
        int begin = skipOws(value, 0, value.length());
        int end = trimOws(value, begin, value.length());
        int length = end - begin;
        if (length < TRACEPARENT_LENGTH || !HexCodec.isLowerHex(value, begin, begin + 2)) {
            return null;
        }
        char v0 = value.charAt(begin);
        char v1 = value.charAt(begin + 1);
        if (v0 == 'f' && v1 == 'f') {
            return null;
        }
        if (v0 == '0' && v1 == '0') {
            if (length != TRACEPARENT_LENGTH) {
                return null;
            }
        }
        else if (length > TRACEPARENT_LENGTH && value.charAt(begin + TRACEPARENT_LENGTH) != '-') {
            return null;
        }
        if (value.charAt(begin + 2) != '-' || value.charAt(begin + 35) != '-' || value.charAt(begin + 52) != '-'
                || !HexCodec.isLowerHex(value, begin + 3, begin + 35)
                || !HexCodec.isLowerHex(value, begin + 36, begin + 52)
                || !HexCodec.isLowerHex(value, begin + 53, begin + 55)) {
            return null;
        }
        long high = HexCodec.parseHex64(value, begin + 3, begin + 19);
        long low = HexCodec.parseHex64(value, begin + 19, begin + 35);
        long spanId = HexCodec.parseHex64(value, begin + 36, begin + 52);
        int flags = HexCodec.digit(value.charAt(begin + 54), true);
        // remote(..) returns null for an all-zero trace id or parent id
        return SpanContext.remote(high, low, 0L, spanId, (flags & FLAG_SAMPLED) != 0, false,
                (flags & FLAG_RANDOM_TRACE_ID) != 0);
    }

    /**
     * Joins the {@code tracestate} values into one list and returns it in normal form, or null
     * when there is none or it is invalid.
     */
    static String parseTraceState(Iterable<String> values) {
        if (values == null) {
            return null;
        }
        if (values instanceof List<String> list && list.size() <= 1) {
            String value = list.isEmpty() ? null : list.get(0);
            return value == null ? null : parseTraceState(value);
        }
        String joined = null;
        StringBuilder several = null;
        for (String value : values) {
            if (value == null) {
                continue;
            }
            if (joined == null) {
                joined = value;
            }
            else {
                if (several == null) {
                    several = new StringBuilder(joined.length() + value.length() + 1).append(joined);
                }
                several.append(',').append(value);
            }
        }
        if (several != null) {
            joined = several.toString();
        }
        return joined == null ? null : parseTraceState(joined);
    }

    /** Validates one {@code tracestate} list; returns it in normal form, or null. */
    static String parseTraceState(String list) {
        // per member: start, '=' index, end (after trimming optional whitespace)
        int[] members = null;
        int count = 0;
        boolean normal = true;
        int length = list.length();
        int pos = 0;
        while (pos <= length) {
            int comma = list.indexOf(',', pos);
            int memberEnd = comma < 0 ? length : comma;
            int start = skipOws(list, pos, memberEnd);
            int end = trimOws(list, start, memberEnd);
            if (start != pos || end != memberEnd) {
                normal = false;
            }
            if (start == end) {
                normal = false; // an empty member: allowed, skipped
            }
            else {
                int equals = list.indexOf('=', start);
                if (equals < 0 || equals >= end || !isValidKey(list, start, equals)
                        || !isValidValue(list, equals + 1, end)) {
                    return null;
                }
                boolean duplicate = false;
                for (int i = 0; i < count && !duplicate; i++) {
                    int otherStart = members[i * 3];
                    int otherKeyLength = members[i * 3 + 1] - otherStart;
                    duplicate = otherKeyLength == equals - start
                            && list.regionMatches(otherStart, list, start, otherKeyLength);
                }
                if (duplicate) {
                    // the first of a duplicated key is kept, the others dropped (a vendor may discard them)
                    normal = false;
                }
                else {
                    if (count == MAX_TRACESTATE_MEMBERS) {
                        return null;
                    }
                    if (members == null) {
                        members = new int[MAX_TRACESTATE_MEMBERS * 3];
                    }
                    members[count * 3] = start;
                    members[count * 3 + 1] = equals;
                    members[count * 3 + 2] = end;
                    count++;
                }
            }
            if (comma < 0) {
                break;
            }
            pos = comma + 1;
        }
        if (count == 0) {
            return null;
        }
        int kept = count;
        boolean[] dropped = null;
        int total = count - 1;
        for (int i = 0; i < count; i++) {
            total += members[i * 3 + 2] - members[i * 3];
        }
        while (total > MAX_TRACESTATE_LENGTH) {
            // W3C's order: members over 128 characters first, then from the end
            int drop = -1;
            for (int i = count - 1; i >= 0 && drop < 0; i--) {
                if ((dropped == null || !dropped[i]) && members[i * 3 + 2] - members[i * 3] > 128) {
                    drop = i;
                }
            }
            for (int i = count - 1; i >= 0 && drop < 0; i--) {
                if (dropped == null || !dropped[i]) {
                    drop = i;
                }
            }
            if (dropped == null) {
                dropped = new boolean[count];
            }
            dropped[drop] = true;
            total -= members[drop * 3 + 2] - members[drop * 3] + (kept > 1 ? 1 : 0);
            kept--;
            normal = false;
        }
        if (kept == 0) {
            return null;
        }
        if (normal) {
            return list;
        }
        StringBuilder result = new StringBuilder(Math.min(length, total));
        for (int i = 0; i < count; i++) {
            if (dropped != null && dropped[i]) {
                continue;
            }
            if (result.length() > 0) {
                result.append(',');
            }
            result.append(list, members[i * 3], members[i * 3 + 2]);
        }
        return result.toString();
    }

    /**
     * {@code key = (lcalpha / DIGIT) 0*255(keychar)}, {@code keychar = lcalpha / DIGIT / "_" / "-" /
     * "*" / "/" / "@"}: the current grammar, which replaced Level 1's simple and multi-tenant keys
     * (where {@code foo@} or a 256-character key were invalid).
     */
    static boolean isValidKey(CharSequence s, int start, int end) {
        int length = end - start;
        if (length < 1 || length > 256) {
            return false;
        }
        char first = s.charAt(start);
        if (!isLcAlpha(first) && !isDigit(first)) {
            return false;
        }
        for (int i = start + 1; i < end; i++) {
            if (!isKeyChar(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** {@code value = 0*255(chr) nblk-chr}: printable ASCII except ',' and '=', not ending in space. */
    static boolean isValidValue(CharSequence s, int start, int end) {
        int length = end - start;
        if (length < 1 || length > 256 || s.charAt(end - 1) == ' ') {
            return false;
        }
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e || c == ',' || c == '=') {
                return false;
            }
        }
        return true;
    }

    private static boolean isKeyChar(char c) {
        return isLcAlpha(c) || isDigit(c) || c == '_' || c == '-' || c == '*' || c == '/' || c == '@';
    }

    private static boolean isLcAlpha(char c) {
        return c >= 'a' && c <= 'z';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    static boolean isOws(char c) {
        return c == ' ' || c == '\t';
    }

    /** The first index from {@code start} (up to {@code end}) that is not optional white space. */
    static int skipOws(CharSequence s, int start, int end) {
        while (start < end && isOws(s.charAt(start))) {
            start++;
        }
        return start;
    }

    /** {@code end} moved back over optional white space, not below {@code start}. */
    static int trimOws(CharSequence s, int start, int end) {
        while (end > start && isOws(s.charAt(end - 1))) {
            end--;
        }
        return end;
    }
}
