package dev.tracing.propagation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.tracing.core.SpanContext;
import io.micrometer.tracing.propagation.Propagator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class B3MultiFormatTests {

    static final String TRACE_ID = "80f198ee56343ba864fe8b2a57d3eff7";

    static final String TRACE_ID_64 = "64fe8b2a57d3eff7";

    static final String SPAN_ID = "e457b5a2e4d86bd1";

    static final String PARENT_ID = "05e3ac9a4f6e3b90";

    final B3MultiFormat format = B3MultiFormat.INSTANCE;

    final Map<String, String> carrier = new HashMap<>();

    final Propagator.Getter<Map<String, String>> getter = (c, k) -> c.get(k);

    final Propagator.Setter<Map<String, String>> setter = (c, k, v) -> c.put(k, v);

    SpanContext extract() {
        return format.extract(carrier, getter);
    }

    @Test
    void fieldsAreLowerCase() {
        assertThat(format.fields()).containsExactly("x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid",
                "x-b3-sampled", "x-b3-flags");
    }

    @Test
    void idsOnly() {
        carrier.put("x-b3-traceid", TRACE_ID);
        carrier.put("x-b3-spanid", SPAN_ID);

        SpanContext context = extract();
        assertThat(context.traceId()).isEqualTo(TRACE_ID);
        assertThat(context.spanId()).isEqualTo(SPAN_ID);
        assertThat(context.parentId()).isNull();
        assertThat(context.sampled()).isNull();
        assertThat(context.isRemote()).isTrue();
    }

    @Test
    void allFields() {
        carrier.put("x-b3-traceid", TRACE_ID);
        carrier.put("x-b3-spanid", SPAN_ID);
        carrier.put("x-b3-parentspanid", PARENT_ID);
        carrier.put("x-b3-sampled", "1");

        SpanContext context = extract();
        assertThat(context.parentId()).isEqualTo(PARENT_ID);
        assertThat(context.sampled()).isTrue();
        assertThat(context.isDebug()).isFalse();
    }

    @ParameterizedTest
    @CsvSource({ "1,true", "0,false", "true,true", "false,false", "TRUE,true", "False,false" })
    void sampledValues(String header, boolean expected) {
        carrier.put("x-b3-traceid", TRACE_ID_64);
        carrier.put("x-b3-spanid", SPAN_ID);
        carrier.put("x-b3-sampled", header);

        assertThat(extract().sampled()).isEqualTo(expected);
    }

    @Test
    void flagsOneIsDebugAndSampled() {
        carrier.put("x-b3-traceid", TRACE_ID);
        carrier.put("x-b3-spanid", SPAN_ID);
        carrier.put("x-b3-flags", "1");

        SpanContext context = extract();
        assertThat(context.isDebug()).isTrue();
        assertThat(context.sampled()).isTrue();
    }

    @Test
    void flagsZeroIsNotDebug() {
        carrier.put("x-b3-traceid", TRACE_ID);
        carrier.put("x-b3-spanid", SPAN_ID);
        carrier.put("x-b3-flags", "0");

        SpanContext context = extract();
        assertThat(context.isDebug()).isFalse();
        assertThat(context.sampled()).isNull();
    }

    @Test
    void sixtyFourBitTraceId() {
        carrier.put("x-b3-traceid", TRACE_ID_64);
        carrier.put("x-b3-spanid", SPAN_ID);

        SpanContext context = extract();
        assertThat(context.traceIdHigh()).isZero();
        assertThat(context.traceIdLow()).isEqualTo(0x64fe8b2a57d3eff7L);
    }

    @Test
    void samplingOnly() {
        carrier.put("x-b3-sampled", "0");

        SpanContext context = extract();
        assertThat(context.isSamplingFlagsOnly()).isTrue();
        assertThat(context.sampled()).isFalse();
    }

    @Test
    void debugOnly() {
        carrier.put("x-b3-flags", "1");

        SpanContext context = extract();
        assertThat(context.isSamplingFlagsOnly()).isTrue();
        assertThat(context.isDebug()).isTrue();
    }

    @Test
    void nothingIsNoContext() {
        assertThat(extract()).isNull();
        carrier.put("x-b3-flags", "0");
        assertThat(extract()).isNull();
    }

    @Test
    void idsWithoutTheirLeadingZerosAreReadPaddedAsBraveReadsThem() {
        // as older senders write them (jaeger-client's B3 propagator, say)
        carrier.put("x-b3-traceid", "4bf92f3577b34da6a");
        carrier.put("x-b3-spanid", "3e6b5c");
        carrier.put("x-b3-parentspanid", "5e3ac9a4f6e3b90");
        SpanContext context = extract();
        assertThat(context.traceId()).isEqualTo("000000000000000" + "4bf92f3577b34da6a");
        assertThat(context.spanId()).isEqualTo("00000000003e6b5c");
        assertThat(context.parentId()).isEqualTo("05e3ac9a4f6e3b90");

        carrier.put("x-b3-traceid", "64fe8b2a57d3ef");
        assertThat(extract().traceId()).as("64-bit, as it is written on").isEqualTo("0064fe8b2a57d3ef");
    }

    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {
            "80f198ee56343ba864fe8b2a57d3eff7, null, null, null", // no span id
            "null, e457b5a2e4d86bd1, null, 1", // span id without trace id
            "80F198EE56343BA864FE8B2A57D3EFF7, e457b5a2e4d86bd1, null, 1", // upper case
            "80f198ee56343ba864fe8b2a57d3eff7, E457B5A2E4D86BD1, null, 1",
            "80f198ee56343ba864fe8b2a57d3eff71, e457b5a2e4d86bd1, null, 1", // 33
            "7, e457b5a2e4d86bd1, null, 1", // 1
            "80f198ee56343ba864fe8b2a57d3eff7, 1, null, 1", // 1
            "80f198ee56343ba864fe8b2a57d3eff7, e457b5a2e4d86bd1x, null, 1",
            "00000000000000000000000000000000, e457b5a2e4d86bd1, null, 1", // zero trace id
            "80f198ee56343ba864fe8b2a57d3eff7, 0000000000000000, null, 1", // zero span id
            "80f198ee56343ba864fe8b2a57d3eff7, e457b5a2e4d86bd1, 0000000000000000, 1", // zero parent
            "80f198ee56343ba864fe8b2a57d3eff7, e457b5a2e4d86bd1, 05e3ac9a4f6e3b901, 1", // long parent
            "80f198ee56343ba864fe8b2a57d3eff7, e457b5a2e4d86bd1, 05e3ac9a4f6e3b9g, 1",
            "80f198ee56343ba864fe8b2a57d3eff7, e457b5a2e4d86bd1, null, 2", // bad sampled
            "80f198ee56343ba864fe8b2a57d3eff7, e457b5a2e4d86bd1, null, yes",
            "80f198ee56343ba864fe8b2a57d3eff7, e457b5a2e4d86bd1, null, d",
            "null, null, null, maybe",
    })
    void malformedIsNoContext(String traceId, String spanId, String parentId, String sampled) {
        put("x-b3-traceid", traceId);
        put("x-b3-spanid", spanId);
        put("x-b3-parentspanid", parentId);
        put("x-b3-sampled", sampled);

        assertThat(extract()).isNull();
    }

    @Test
    void asksTheGetterForLowerCaseKeys() {
        List<String> asked = new ArrayList<>();
        carrier.put("x-b3-traceid", TRACE_ID);
        carrier.put("x-b3-spanid", SPAN_ID);

        SpanContext context = format.extract(carrier, (c, k) -> {
            asked.add(k);
            return c.get(k);
        });

        assertThat(context.traceId()).isEqualTo(TRACE_ID);
        assertThat(asked).contains("x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "x-b3-flags")
                .allMatch(k -> k.equals(k.toLowerCase(Locale.ROOT)));
    }

    void put(String key, String value) {
        if (value != null) {
            carrier.put(key, value);
        }
    }

    @Test
    void injectAllFields() {
        format.inject(SpanContext.create(0x80f198ee56343ba8L, 0x64fe8b2a57d3eff7L, 0x05e3ac9a4f6e3b90L,
                0xe457b5a2e4d86bd1L, true, false), carrier, setter);

        assertThat(carrier).containsOnly(Map.entry("x-b3-traceid", TRACE_ID), Map.entry("x-b3-spanid", SPAN_ID),
                Map.entry("x-b3-parentspanid", PARENT_ID), Map.entry("x-b3-sampled", "1"));
    }

    @Test
    void injectDebugWritesFlagsNotSampled() {
        format.inject(SpanContext.create(0L, 0x64fe8b2a57d3eff7L, 0L, 0xe457b5a2e4d86bd1L, null, true), carrier,
                setter);

        assertThat(carrier).containsOnly(Map.entry("x-b3-traceid", TRACE_ID_64), Map.entry("x-b3-spanid", SPAN_ID),
                Map.entry("x-b3-flags", "1"));
    }

    @Test
    void injectUnknownSamplingWritesIdsOnly() {
        format.inject(SpanContext.create(0L, 1L, 0L, 2L, null, false), carrier, setter);

        assertThat(carrier).containsOnlyKeys("x-b3-traceid", "x-b3-spanid");
    }

    @Test
    void injectSamplingOnly() {
        format.inject(SpanContext.samplingFlagsOnly(false, false), carrier, setter);

        assertThat(carrier).containsOnly(Map.entry("x-b3-sampled", "0"));
    }

    @Test
    void roundTrip() {
        for (Boolean sampled : new Boolean[] { null, true, false }) {
            carrier.clear();
            SpanContext original = SpanContext.create(0x1234L, 0x5678L, 0x42L, 0x9abcL, sampled, false);

            format.inject(original, carrier, setter);
            SpanContext extracted = extract();

            assertThat(extracted).isEqualTo(original);
            assertThat(extracted.parentId()).isEqualTo(original.parentId());
            assertThat(extracted.sampled()).isEqualTo(sampled);
        }
    }

    @Test
    void roundTripDebug() {
        SpanContext original = SpanContext.create(0L, 0x5678L, 0L, 0x9abcL, true, true);

        format.inject(original, carrier, setter);
        SpanContext extracted = extract();

        assertThat(extracted).isEqualTo(original);
        assertThat(extracted.isDebug()).isTrue();
        assertThat(extracted.traceIdHigh()).isZero();
    }
}
