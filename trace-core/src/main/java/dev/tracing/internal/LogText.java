package dev.tracing.internal;

/**
 * Text that came from elsewhere (a caller's baggage, a backend's answer) made safe for a log line.
 */
public final class LogText {

    private LogText() {
    }

    /**
     * Returns {@code value} without control characters (C0, DEL, C1 and the Unicode line and
     * paragraph separators): a line break copied into a log line would let whoever chose the text
     * write a log line of its own under a plain pattern. The usual value has none and is returned as
     * it is; null stays null.
     */
    public static String withoutControls(String value) {
        if (value == null) {
            return null;
        }
        int length = value.length();
        int i = 0;
        while (i < length && !isControl(value.charAt(i))) {
            i++;
        }
        if (i == length) {
            return value;
        }
        StringBuilder kept = new StringBuilder(length - 1).append(value, 0, i);
        for (; i < length; i++) {
            char c = value.charAt(i);
            if (!isControl(c)) {
                kept.append(c);
            }
        }
        return kept.toString();
    }

    private static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
    }

}
