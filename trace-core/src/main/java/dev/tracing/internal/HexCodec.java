package dev.tracing.internal;

import java.nio.charset.StandardCharsets;

/**
 * Lower-case hex encoding and decoding of 64-bit ids.
 *
 * <p>Design notes: ids travel as hex in every header, so parsing works by index over a
 * {@link CharSequence} without substring or regex, and reports failure through a flag instead
 * of an exception: malformed input is a normal outcome on the request path.
 */
public final class HexCodec {

    private static final char[] DIGITS = "0123456789abcdef".toCharArray();

    private static final byte[] HEX_BYTES = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);

    /** The longest text {@link #buffer()} holds. */
    public static final int BUFFER_LENGTH = 64;

    private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[BUFFER_LENGTH]);

    private HexCodec() {
    }

    /** Writes {@code value} as 16 lower-case hex characters into {@code out} at {@code offset}. */
    public static void writeHex64(long value, char[] out, int offset) {
        for (int i = 15; i >= 0; i--) {
            out[offset + i] = DIGITS[(int) (value & 0xf)];
            value >>>= 4;
        }
    }

    /** Returns {@code value} as 16 lower-case hex characters. */
    public static String toHex64(long value) {
        byte[] out = buffer();
        writeHex64(value, out, 0);
        return latin1(out, 16);
    }

    /** Returns the 128-bit id {@code high:low} as 32 lower-case hex characters. */
    public static String toHex128(long high, long low) {
        byte[] out = buffer();
        writeHex64(high, out, 0);
        writeHex64(low, out, 16);
        return latin1(out, 32);
    }

    /**
     * Returns this thread's buffer of {@value #BUFFER_LENGTH} bytes, to write an id or a header
     * into before {@link #latin1} makes it a string. Its content is undefined on the next call.
     *
     * <p>Design notes: the JDK copies the bytes a string is made from, so an array allocated for
     * each id or header would be garbage at once; ids are written several times per request.
     */
    public static byte[] buffer() {
        return BUFFER.get();
    }

    /** Returns the first {@code length} bytes of {@code latin1} as a string, one character per byte. */
    public static String latin1(byte[] latin1, int length) {
        return new String(latin1, 0, length, StandardCharsets.ISO_8859_1);
    }

    /**
     * Writes {@code value} as 16 lower-case hex characters into {@code out} at {@code offset}, as
     * Latin-1 bytes: the JDK stores hex strings as one byte per character, so a byte source is copied
     * as it is, where a char source would be compressed.
     */
    public static void writeHex64(long value, byte[] out, int offset) {
        for (int i = 15; i >= 0; i--) {
            out[offset + i] = HEX_BYTES[(int) (value & 0xf)];
            value >>>= 4;
        }
    }

    /**
     * Returns the value of the hex digit {@code c}, or -1 if it is not one. Upper-case digits are
     * rejected when {@code lowerOnly} is set, as W3C trace context requires.
     */
    public static int digit(char c, boolean lowerOnly) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (!lowerOnly && c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /** Returns true if every character in {@code [start, end)} is a lower-case hex digit. */
    public static boolean isLowerHex(CharSequence s, int start, int end) {
        if (start < 0 || end > s.length() || start >= end) {
            return false;
        }
        for (int i = start; i < end; i++) {
            if (digit(s.charAt(i), true) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Parses at most 16 hex characters in {@code [start, end)}. The caller checks validity first
     * with {@link #isLowerHex}; an invalid character yields 0, which is never a valid id.
     */
    public static long parseHex64(CharSequence s, int start, int end) {
        if (end - start > 16 || start >= end) {
            return 0L;
        }
        long result = 0L;
        for (int i = start; i < end; i++) {
            int d = digit(s.charAt(i), false);
            if (d < 0) {
                return 0L;
            }
            result = (result << 4) | d;
        }
        return result;
    }
}
