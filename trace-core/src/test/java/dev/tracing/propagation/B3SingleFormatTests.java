package dev.tracing.propagation;

import java.util.HashMap;
import java.util.Map;

import dev.tracing.core.SpanContext;
import io.micrometer.tracing.propagation.Propagator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class B3SingleFormatTests {

    static final String TRACE_ID = "80f198ee56343ba864fe8b2a57d3eff7";

    static final String TRACE_ID_64 = "64fe8b2a57d3eff7";

    static final String SPAN_ID = "e457b5a2e4d86bd1";

    static final String PARENT_ID = "05e3ac9a4f6e3b90";

    final B3SingleFormat format = B3SingleFormat.INSTANCE;

    final Map<String, String> carrier = new HashMap<>();

    final Propagator.Getter<Map<String, String>> getter = (c, k) -> c.get(k);

    final Propagator.Setter<Map<String, String>> setter = (c, k, v) -> c.put(k, v);

    SpanContext extract(String b3) {
        carrier.put("b3", b3);
        return format.extract(carrier, getter);
    }

    @Test
    void fields() {
        assertThat(format.fields()).containsExactly("b3");
    }

    @Test
    void traceIdAndSpanId() {
        SpanContext context = extract(TRACE_ID + "-" + SPAN_ID);

        assertThat(context.traceId()).isEqualTo(TRACE_ID);
        assertThat(context.spanId()).isEqualTo(SPAN_ID);
        assertThat(context.parentId()).isNull();
        assertThat(context.sampled()).isNull();
        assertThat(context.isDebug()).isFalse();
        assertThat(context.isRemote()).isTrue();
    }

    @Test
    void sampled() {
        SpanContext context = extract(TRACE_ID + "-" + SPAN_ID + "-1");

        assertThat(context.sampled()).isTrue();
        assertThat(context.isDebug()).isFalse();
    }

    @Test
    void notSampled() {
        assertThat(extract(TRACE_ID + "-" + SPAN_ID + "-0").sampled()).isFalse();
    }

    @Test
    void debugImpliesSampled() {
        SpanContext context = extract(TRACE_ID + "-" + SPAN_ID + "-d");

        assertThat(context.isDebug()).isTrue();
        assertThat(context.sampled()).isTrue();
    }

    @Test
    void sampledAndParent() {
        SpanContext context = extract(TRACE_ID + "-" + SPAN_ID + "-1-" + PARENT_ID);

        assertThat(context.traceId()).isEqualTo(TRACE_ID);
        assertThat(context.spanId()).isEqualTo(SPAN_ID);
        assertThat(context.parentId()).isEqualTo(PARENT_ID);
        assertThat(context.sampled()).isTrue();
    }

    @Test
    void debugAndParent() {
        SpanContext context = extract(TRACE_ID + "-" + SPAN_ID + "-d-" + PARENT_ID);

        assertThat(context.isDebug()).isTrue();
        assertThat(context.parentId()).isEqualTo(PARENT_ID);
    }

    @Test
    void parentWithoutSamplingStateIsAcceptedLikeBrave() {
        SpanContext context = extract(TRACE_ID + "-" + SPAN_ID + "-" + PARENT_ID);

        assertThat(context.parentId()).isEqualTo(PARENT_ID);
        assertThat(context.sampled()).isNull();
    }

    @Test
    void sixtyFourBitTraceIdGoesInTheLowHalf() {
        SpanContext context = extract(TRACE_ID_64 + "-" + SPAN_ID + "-1-" + PARENT_ID);

        assertThat(context.traceIdHigh()).isZero();
        assertThat(context.traceIdLow()).isEqualTo(0x64fe8b2a57d3eff7L);
        assertThat(context.isTraceId64Bit()).isTrue();
        assertThat(context.traceId()).isEqualTo(TRACE_ID_64);
        assertThat(context.parentId()).isEqualTo(PARENT_ID);
    }

    @Test
    void bareSamplingStates() {
        SpanContext notSampled = extract("0");
        assertThat(notSampled.isSamplingFlagsOnly()).isTrue();
        assertThat(notSampled.sampled()).isFalse();
        assertThat(notSampled.traceId()).isNull();

        SpanContext sampled = extract("1");
        assertThat(sampled.isSamplingFlagsOnly()).isTrue();
        assertThat(sampled.sampled()).isTrue();

        SpanContext debug = extract("d");
        assertThat(debug.isSamplingFlagsOnly()).isTrue();
        assertThat(debug.isDebug()).isTrue();
        assertThat(debug.sampled()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "2", "x", "-", "D", "1-1", "0-", "true",
            TRACE_ID, // no span id
            TRACE_ID + "-", TRACE_ID + "-457b5a2e4d86bd1", // truncated span id
            TRACE_ID + "-" + SPAN_ID + "-", // truncated sampling state
            TRACE_ID + "-" + SPAN_ID + "-2", TRACE_ID + "-" + SPAN_ID + "-D", TRACE_ID + "-" + SPAN_ID + "-true",
            TRACE_ID + "-" + SPAN_ID + "-1-", TRACE_ID + "-" + SPAN_ID + "-1-5e3ac9a4f6e3b90",
            TRACE_ID + "-" + SPAN_ID + "-1-" + PARENT_ID + "1", TRACE_ID + "-" + SPAN_ID + "-1-" + PARENT_ID + "-1",
            TRACE_ID + "-" + SPAN_ID + "-11", TRACE_ID + "-" + SPAN_ID + "-1" + PARENT_ID,
            TRACE_ID + "-" + SPAN_ID + "-1-0000000000000000", // zero parent
            TRACE_ID + "_" + SPAN_ID, TRACE_ID + "-" + SPAN_ID + "_1", TRACE_ID + "-" + SPAN_ID + "-1_" + PARENT_ID,
            "80F198EE56343BA864FE8B2A57D3EFF7-" + SPAN_ID, // upper-case hex
            TRACE_ID + "-E457B5A2E4D86BD1",
            "00000000000000000000000000000000-" + SPAN_ID, // zero trace id
            "0000000000000000-" + SPAN_ID,
            TRACE_ID + "-0000000000000000", // zero span id
            "80f198ee56343ba864fe8b2a57d3eff-" + SPAN_ID, // 31 characters
            "80f198ee56343ba864fe8b2a57d3eff77-" + SPAN_ID, // 33 characters
            "64fe8b2a57d3ef-" + SPAN_ID, // 14 characters
            "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90-1-extra-garbage",
            "80f198ee56343ba8x4fe8b2a57d3eff7-e457b5a2e4d86bd1",
            " " + TRACE_ID + "-" + SPAN_ID,
    })
    void malformedIsNoContext(String b3) {
        assertThat(extract(b3)).isNull();
    }

    @Test
    void everyNonLowerHexCharacterInAnIdIsMalformed() {
        String valid = TRACE_ID + "-" + SPAN_ID + "-1-" + PARENT_ID;
        int rejected = 0;
        for (char c = 0; c < 256; c++) {
            if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
                continue;
            }
            for (int index : new int[] { 0, 31, 33, 48, 52, 67 }) {
                char[] chars = valid.toCharArray();
                chars[index] = c;
                assertThat(extract(new String(chars))).isNull();
                rejected++;
            }
        }
        assertThat(rejected).isEqualTo((256 - 16) * 6);
    }

    @Test
    void parseNeverThrowsOnAnyPrefix() {
        String full = TRACE_ID + "-" + SPAN_ID + "-d-" + PARENT_ID;
        int parsed = 0;
        for (int end = 0; end <= full.length(); end++) {
            for (int begin = 0; begin <= end; begin++) {
                if (end - begin > 1 && B3SingleFormat.parse(full, begin, end) != null) {
                    parsed++;
                }
            }
        }
        // traceId-spanId[-d[-parent]], and the same starting at the low half of the trace id (a valid
        // 64-bit trace id); every other substring of two or more characters is malformed
        assertThat(parsed).isEqualTo(6);
        assertThat(B3SingleFormat.parse(null, 0, 0)).isNull();
        assertThat(B3SingleFormat.parse(full, 5, 2)).isNull();
        assertThat(B3SingleFormat.parse(full, 0, full.length() + 1)).isNull();
    }

    @Test
    void absentHeaderIsNoContext() {
        assertThat(format.extract(carrier, getter)).isNull();
    }

    @Test
    void injectWritesSamplingStateAndNoParent() {
        format.inject(SpanContext.create(0x80f198ee56343ba8L, 0x64fe8b2a57d3eff7L, 0x05e3ac9a4f6e3b90L,
                0xe457b5a2e4d86bd1L, true, false), carrier, setter);
        assertThat(carrier.get("b3")).isEqualTo(TRACE_ID + "-" + SPAN_ID + "-1");

        format.inject(SpanContext.create(1L, 2L, 0L, 3L, false, false), carrier, setter);
        assertThat(carrier.get("b3")).isEqualTo("0000000000000001000000000000000" + "2-0000000000000003-0");

        format.inject(SpanContext.create(1L, 2L, 0L, 3L, null, true), carrier, setter);
        assertThat(carrier.get("b3")).endsWith("-0000000000000003-d");

        format.inject(SpanContext.create(1L, 2L, 0L, 3L, null, false), carrier, setter);
        assertThat(carrier.get("b3")).isEqualTo("00000000000000010000000000000002-0000000000000003");
    }

    @Test
    void injectWrites64BitTraceIdAs16Characters() {
        format.inject(SpanContext.create(0L, 0x64fe8b2a57d3eff7L, 0L, 0xe457b5a2e4d86bd1L, true, false), carrier,
                setter);

        assertThat(carrier.get("b3")).isEqualTo(TRACE_ID_64 + "-" + SPAN_ID + "-1");
    }

    @Test
    void injectSamplingFlagsOnly() {
        format.inject(SpanContext.samplingFlagsOnly(false, false), carrier, setter);
        assertThat(carrier.get("b3")).isEqualTo("0");

        format.inject(SpanContext.samplingFlagsOnly(null, true), carrier, setter);
        assertThat(carrier.get("b3")).isEqualTo("d");

        carrier.clear();
        format.inject(SpanContext.samplingFlagsOnly(null, false), carrier, setter);
        assertThat(carrier).isEmpty();
    }

    @Test
    void roundTrip() {
        for (Boolean sampled : new Boolean[] { null, true, false }) {
            SpanContext original = SpanContext.create(0x1234L, 0x5678L, 0L, 0x9abcL, sampled, false);

            format.inject(original, carrier, setter);
            SpanContext extracted = format.extract(carrier, getter);

            assertThat(extracted).isEqualTo(original);
            assertThat(extracted.traceId()).isEqualTo(original.traceId());
            assertThat(extracted.spanId()).isEqualTo(original.spanId());
            assertThat(extracted.sampled()).isEqualTo(sampled);
        }
    }

    @Test
    void roundTripDebugAnd64BitTraceId() {
        SpanContext original = SpanContext.create(0L, 0x5678L, 0L, 0x9abcL, null, true);

        format.inject(original, carrier, setter);
        SpanContext extracted = format.extract(carrier, getter);

        assertThat(extracted.traceIdHigh()).isZero();
        assertThat(extracted.traceIdLow()).isEqualTo(0x5678L);
        assertThat(extracted.isDebug()).isTrue();
    }
}
