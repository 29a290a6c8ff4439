package dev.tracing.export;

/**
 * JSON string quoting for the hand-written encoders.
 *
 * <p>Design notes: escapes what RFC 8259 requires (quote, backslash, control characters) plus
 * DEL and the C1 controls (U+0085, NEL, ends a line for some log readers, and the logging
 * exporter writes request-derived tags into log lines), U+2028 and U+2029, which break
 * JavaScript readers of the output, and a surrogate without its
 * partner (application code can put one in a name or tag), which UTF-8 cannot carry: the caller's
 * encoding would write it as {@code ?}, where Jackson (the endpoint's tree view) escapes it,
 * as this does. Every other character is written as is, so non-ASCII text stays readable and
 * the caller's UTF-8 encoding is exact.
 */
final class JsonStrings {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private JsonStrings() {
    }

    /** Appends {@code value} as a JSON string, or {@code null} when it is null. */
    static void quote(String value, StringBuilder out) {
        if (value == null) {
            out.append("null");
            return;
        }
        out.append('"');
        int length = value.length();
        for (int i = 0; i < length; i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"':
                    out.append("\\\"");
                    break;
                case '\\':
                    out.append("\\\\");
                    break;
                case '\n':
                    out.append("\\n");
                    break;
                case '\r':
                    out.append("\\r");
                    break;
                case '\t':
                    out.append("\\t");
                    break;
                default:
                    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
                        escape(c, out);
                    }
                    else if (Character.isSurrogate(c)) {
                        if (Character.isHighSurrogate(c) && i + 1 < length
                                && Character.isLowSurrogate(value.charAt(i + 1))) {
                            out.append(c).append(value.charAt(++i));
                        }
                        else {
                            escape(c, out);
                        }
                    }
                    else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    private static void escape(char c, StringBuilder out) {
        out.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xf]).append(HEX[(c >> 4) & 0xf])
            .append(HEX[c & 0xf]);
    }
}
