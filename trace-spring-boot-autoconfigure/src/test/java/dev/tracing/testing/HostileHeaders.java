package dev.tracing.testing;

import java.util.Random;

/**
 * Seeded hostile trace headers, shared by the transports' tests: each set is invalid in its own
 * way, so whatever carries it must start a fresh trace and otherwise behave as without it.
 */
public final class HostileHeaders {

    /** The trace id the hostile values are made from; no fresh trace may have it. */
    public static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    public static final String VALID = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";

    private HostileHeaders() {
    }

    /**
     * One or more trace headers, each invalid in its own way: upper-cased, truncated below any id's
     * length, doubled, a non-hex digit, an unknown field in front, a zero trace id, a misplaced
     * dash, random text, non-ASCII, or two different {@code traceparent}s.
     */
    public static String[] of(Random random) {
        String[] valid = { VALID, TRACE_ID + "-00f067aa0ba902b7-1", TRACE_ID };
        String value = valid[random.nextInt(valid.length)];
        switch (random.nextInt(9)) {
            case 0 -> value = value.toUpperCase();
            // a dash after it: B3's ids may come without their leading zeros, so a hex prefix alone is an id
            case 1 -> value = value.substring(0, 2 + random.nextInt(14)) + "-";
            case 2 -> value = value + value;
            case 3 -> value = value.replace('a', 'g');
            case 4 -> value = "ff-" + value;
            case 5 -> value = value.replace(TRACE_ID, "0".repeat(32));
            case 6 -> value = value.substring(0, 10) + "-" + value.substring(10);
            case 7 -> value = "x" + randomPrintable(random, random.nextInt(200));
            default -> value = value.replace('0', 'é');
        }
        return switch (random.nextInt(5)) {
            case 0 -> new String[] { "traceparent", VALID.toUpperCase(), "tracestate", value };
            case 1 -> new String[] { "b3", value.replace("00-", "") };
            case 2 -> new String[] { "X-B3-TraceId", value, "X-B3-SpanId", "00f067aa0ba902b7" };
            case 3 -> new String[] { "traceparent", VALID, "traceparent", VALID.replace("-01", "-00") };
            default -> new String[] { "traceparent", value.startsWith("00-") ? value : "00-" + value, "baggage",
                    randomPrintable(random, random.nextInt(300)) };
        };
    }

    public static String randomPrintable(Random random, int length) {
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append((char) (' ' + random.nextInt('~' - ' ' + 1)));
        }
        return out.toString().trim();
    }

}
