package dev.tracing.propagation;

import java.util.HashMap;
import java.util.Map;

import dev.tracing.core.SpanContext;
import io.micrometer.tracing.propagation.Propagator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class JaegerFormatTests {

    static final String TRACE_ID = "80f198ee56343ba864fe8b2a57d3eff7";

    static final String TRACE_ID_64 = "64fe8b2a57d3eff7";

    static final String SPAN_ID = "e457b5a2e4d86bd1";

    final JaegerFormat format = JaegerFormat.INSTANCE;

    final Map<String, String> carrier = new HashMap<>();

    final Propagator.Getter<Map<String, String>> getter = (c, k) -> c.get(k);

    final Propagator.Setter<Map<String, String>> setter = (c, k, v) -> c.put(k, v);

    SpanContext extract(String value) {
        carrier.put("uber-trace-id", value);
        return format.extract(carrier, getter);
    }

    @Test
    void fields() {
        assertThat(format.fields()).containsExactly("uber-trace-id");
    }

    @Test
    void traceIdSpanIdAndSampledFlag() {
        SpanContext context = extract(TRACE_ID + ":" + SPAN_ID + ":0:1");

        assertThat(context.traceId()).isEqualTo(TRACE_ID);
        assertThat(context.spanId()).isEqualTo(SPAN_ID);
        assertThat(context.parentId()).isNull();
        assertThat(context.sampled()).isTrue();
        assertThat(context.isDebug()).isFalse();
        assertThat(context.isRemote()).isTrue();
    }

    @ParameterizedTest
    @CsvSource({
            "0, false, false", "1, true, false", "3, true, true", "2, true, true", "01, true, false",
            "05, true, false", "0c, false, false", "ff, true, true" })
    void flagsAreHexWithSampledAndDebugBits(String flags, boolean sampled, boolean debug) {
        SpanContext context = extract(TRACE_ID + ":" + SPAN_ID + ":0:" + flags);

        assertThat(context.sampled()).isEqualTo(sampled);
        assertThat(context.isDebug()).isEqualTo(debug);
    }

    @Test
    void sixtyFourBitTraceIdStays16Characters() {
        SpanContext context = extract(TRACE_ID_64 + ":" + SPAN_ID + ":0:1");

        assertThat(context.traceIdHigh()).isZero();
        assertThat(context.traceIdLow()).isEqualTo(0x64fe8b2a57d3eff7L);
        assertThat(context.traceId()).isEqualTo(TRACE_ID_64);
    }

    @Test
    void idsWithoutTheirLeadingZerosAreLeftPadded() {
        // Jaeger's clients write ids without leading zeros
        SpanContext short64 = extract("abc:def:0:1");
        assertThat(short64.traceId()).isEqualTo("0000000000000abc");
        assertThat(short64.spanId()).isEqualTo("0000000000000def");

        SpanContext short128 = extract("1" + TRACE_ID_64 + ":" + SPAN_ID + ":0:1");
        assertThat(short128.traceIdHigh()).isEqualTo(1L);
        assertThat(short128.traceId()).isEqualTo("0000000000000001" + TRACE_ID_64);
    }

    @Test
    void aParentSpanIdIsAcceptedAndNotUsed() {
        SpanContext context = extract(TRACE_ID + ":" + SPAN_ID + ":05e3ac9a4f6e3b90:1");

        assertThat(context.spanId()).isEqualTo(SPAN_ID);
        assertThat(context.parentId()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = { "%3A", "%3a" })
    void urlEncodedValue(String separator) {
        SpanContext context = extract(TRACE_ID + separator + SPAN_ID + separator + "0" + separator + "3");

        assertThat(context.traceId()).isEqualTo(TRACE_ID);
        assertThat(context.spanId()).isEqualTo(SPAN_ID);
        assertThat(context.isDebug()).isTrue();
    }

    @Test
    void surroundingWhitespaceIsIgnored() {
        assertThat(extract(" \t" + TRACE_ID + ":" + SPAN_ID + ":0:1 ").traceId()).isEqualTo(TRACE_ID);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", " ", ":::", "0:0:0:0", "1:1:0", "1:1:0:1:", "1:1:0:1:1",
            TRACE_ID, TRACE_ID + ":" + SPAN_ID, TRACE_ID + ":" + SPAN_ID + ":0", TRACE_ID + ":" + SPAN_ID + ":0:",
            TRACE_ID + "::0:1", ":" + SPAN_ID + ":0:1", TRACE_ID + ":" + SPAN_ID + "::1",
            TRACE_ID + ":" + SPAN_ID + ":0:100", // flags longer than two characters
            TRACE_ID + ":" + SPAN_ID + ":0:x", TRACE_ID + ":" + SPAN_ID + ":0:-1", TRACE_ID + ":" + SPAN_ID + ":0:+1",
            TRACE_ID + ":" + SPAN_ID + ":x:1", TRACE_ID + ":" + SPAN_ID + ":05e3ac9a4f6e3b901:1",
            "180f198ee56343ba864fe8b2a57d3eff7:" + SPAN_ID + ":0:1", // 33 characters
            TRACE_ID + ":1" + SPAN_ID + ":0:1", // 17 characters
            "80F198EE56343BA864FE8B2A57D3EFF7:" + SPAN_ID + ":0:1", // upper-case hex
            TRACE_ID + ":E457B5A2E4D86BD1:0:1", TRACE_ID + ":" + SPAN_ID + ":0:A",
            "00000000000000000000000000000000:" + SPAN_ID + ":0:1", // zero trace id
            "0:" + SPAN_ID + ":0:1", TRACE_ID + ":0000000000000000:0:1", TRACE_ID + ":0:0:1", // zero span id
            TRACE_ID + "-" + SPAN_ID + "-0-1", TRACE_ID + ";" + SPAN_ID + ";0;1",
            TRACE_ID + "%3A" + SPAN_ID + ":0:1", // mixed
            TRACE_ID + "%3B" + SPAN_ID + "%3B0%3B1", TRACE_ID + "%3" + SPAN_ID + "%3A0%3A1",
            TRACE_ID + "%3A" + SPAN_ID + "%3A0%3A", TRACE_ID + "%3A" + SPAN_ID + "%3A0%3A1%3A",
            TRACE_ID + "%253A" + SPAN_ID + "%253A0%253A1",
            "80f198ee 56343ba864fe8b2a57d3eff7:" + SPAN_ID + ":0:1",
            "80f198ee56343ba864fe8b2a57d3eff7:e457b5a2e4d86bd1:05e3ac9a4f6e3b90:1:extra-garbage-beyond-the-longest-value",
    })
    void malformedIsNoContext(String value) {
        assertThat(extract(value)).isNull();
    }

    @Test
    void parseNeverThrowsOnAnySubstring() {
        String full = TRACE_ID + "%3A" + SPAN_ID + "%3A05e3ac9a4f6e3b90%3A03";
        for (String value : new String[] { full, full.replace("%3A", ":") }) {
            for (int end = 0; end <= value.length(); end++) {
                for (int begin = 0; begin <= end; begin++) {
                    SpanContext context = JaegerFormat.parse(value.substring(begin, end));
                    if (context != null) {
                        assertThat(TRACE_ID).endsWith(context.traceId().replaceFirst("^0+", ""));
                    }
                }
            }
        }
    }

    @Test
    void absentHeaderIsNoContext() {
        assertThat(format.extract(carrier, getter)).isNull();
    }

    @Test
    void injectWritesTheDeprecatedParentAsZeroAndTheFlags() {
        format.inject(SpanContext.create(0x80f198ee56343ba8L, 0x64fe8b2a57d3eff7L, 0x05e3ac9a4f6e3b90L,
                0xe457b5a2e4d86bd1L, true, false), carrier, setter);
        assertThat(carrier.get("uber-trace-id")).isEqualTo(TRACE_ID + ":" + SPAN_ID + ":0:1");

        format.inject(SpanContext.create(1L, 2L, 0L, 3L, false, false), carrier, setter);
        assertThat(carrier.get("uber-trace-id")).isEqualTo("00000000000000010000000000000002:0000000000000003:0:0");

        format.inject(SpanContext.create(1L, 2L, 0L, 3L, null, true), carrier, setter);
        assertThat(carrier.get("uber-trace-id")).endsWith(":0000000000000003:0:3");

        // no decision yet: the format cannot say so, and not sampled is what W3C writes too
        format.inject(SpanContext.create(1L, 2L, 0L, 3L, null, false), carrier, setter);
        assertThat(carrier.get("uber-trace-id")).endsWith(":0000000000000003:0:0");
    }

    @Test
    void injectWrites64BitTraceIdAs16Characters() {
        format.inject(SpanContext.create(0L, 0x64fe8b2a57d3eff7L, 0L, 0xe457b5a2e4d86bd1L, true, false), carrier,
                setter);

        assertThat(carrier.get("uber-trace-id")).isEqualTo(TRACE_ID_64 + ":" + SPAN_ID + ":0:1");
    }

    @Test
    void injectWritesNothingForASamplingDecisionAlone() {
        format.inject(SpanContext.samplingFlagsOnly(true, false), carrier, setter);
        format.inject(null, carrier, setter);

        assertThat(carrier).isEmpty();
    }

    @Test
    void roundTrip() {
        for (boolean debug : new boolean[] { false, true }) {
            for (Boolean sampled : new Boolean[] { true, false }) {
                SpanContext original = SpanContext.create(0x1234L, 0x5678L, 0L, 0x9abcL, sampled, debug);

                format.inject(original, carrier, setter);
                SpanContext extracted = format.extract(carrier, getter);

                assertThat(extracted).isEqualTo(original);
                assertThat(extracted.traceId()).isEqualTo(original.traceId());
                assertThat(extracted.sampled()).isEqualTo(original.sampled());
                assertThat(extracted.isDebug()).isEqualTo(debug);
            }
        }
    }
}
