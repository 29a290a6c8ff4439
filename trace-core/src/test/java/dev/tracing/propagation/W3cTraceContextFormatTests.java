package dev.tracing.propagation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.tracing.core.SpanContext;
import io.micrometer.tracing.propagation.Propagator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class W3cTraceContextFormatTests {

    static final String TRACE_ID = "12345678901234567890123456789012";

    static final String PARENT_ID = "1234567890123456";

    static final String VALID = "00-" + TRACE_ID + "-" + PARENT_ID + "-01";

    final W3cTraceContextFormat format = W3cTraceContextFormat.INSTANCE;

    final Map<String, String> carrier = new HashMap<>();

    final Propagator.Getter<Map<String, String>> getter = (c, k) -> c.get(k);

    final Propagator.Setter<Map<String, String>> setter = (c, k, v) -> c.put(k, v);

    SpanContext extract(String traceparent) {
        carrier.put("traceparent", traceparent);
        return format.extract(carrier, getter);
    }

    SpanContext extract(Map<String, List<String>> headers) {
        return format.extract(headers, MultiValueGetter.INSTANCE);
    }

    static Map<String, List<String>> headers(String... namesAndValues) {
        Map<String, List<String>> headers = new HashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            headers.computeIfAbsent(namesAndValues[i], k -> new ArrayList<>()).add(namesAndValues[i + 1]);
        }
        return headers;
    }

    @Test
    void fieldsAreLowerCase() {
        assertThat(format.fields()).containsExactly("traceparent", "tracestate");
    }

    @Test
    void extractsValidTraceparent() {
        SpanContext context = extract(VALID);

        assertThat(context).isNotNull();
        assertThat(context.traceId()).isEqualTo(TRACE_ID);
        assertThat(context.spanId()).isEqualTo(PARENT_ID);
        assertThat(context.parentId()).isNull();
        assertThat(context.sampled()).isTrue();
        assertThat(context.isRemote()).isTrue();
        assertThat(context.traceState()).isNull();
    }

    @Test
    void flagsZeroIsNotSampled() {
        assertThat(extract("00-" + TRACE_ID + "-" + PARENT_ID + "-00").sampled()).isFalse();
    }

    @Test
    void unknownFlagBitsAreIgnored() {
        assertThat(extract("00-" + TRACE_ID + "-" + PARENT_ID + "-09").sampled()).isTrue();
        assertThat(extract("00-" + TRACE_ID + "-" + PARENT_ID + "-fe").sampled()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = { "03", "02", "01", "00" })
    void theRandomTraceIdFlagReceivedIsOnEveryTraceparentOfThatTrace(String flags) {
        io.micrometer.tracing.Tracer tracer = dev.tracing.core.Tracing.newBuilder().build();
        CompositePropagator propagator = CompositePropagator.builder(tracer).build();
        carrier.put("traceparent", "00-" + TRACE_ID + "-" + PARENT_ID + "-" + flags);
        io.micrometer.tracing.Span server = propagator.extract(carrier, getter).start();
        io.micrometer.tracing.Span client = tracer.nextSpan(server).start();
        Map<String, String> outgoing = new HashMap<>();
        propagator.inject(client.context(), outgoing, setter);
        client.end();
        server.end();
        // Level 2: set on the way in, it must be set on every traceparent of the trace id; the sampled bit as ever
        assertThat(outgoing.get("traceparent")).startsWith("00-" + TRACE_ID + "-" + client.context().spanId() + "-")
            .endsWith("-" + flags);
    }

    @Test
    void aTraceStartedHereOrFromAnotherFormatIsNotMarkedRandom() {
        io.micrometer.tracing.Tracer tracer = dev.tracing.core.Tracing.newBuilder().build();
        CompositePropagator propagator = CompositePropagator.builder(tracer).build();
        io.micrometer.tracing.Span root = tracer.nextSpan().start();
        Map<String, String> outgoing = new HashMap<>();
        propagator.inject(root.context(), outgoing, setter);
        root.end();
        assertThat(outgoing.get("traceparent")).endsWith("-01");
        Map<String, String> b3 = new HashMap<>(Map.of("b3", TRACE_ID + "-" + PARENT_ID + "-1"));
        io.micrometer.tracing.Span fromB3 = propagator.extract(b3, getter).start();
        outgoing.clear();
        propagator.inject(fromB3.context(), outgoing, setter);
        fromB3.end();
        assertThat(outgoing.get("traceparent")).isEqualTo("00-" + TRACE_ID + "-" + fromB3.context().spanId() + "-01");
        // the flag as read
        assertThat(extract("00-" + TRACE_ID + "-" + PARENT_ID + "-03").isRandomTraceId()).isTrue();
        assertThat(extract("00-" + TRACE_ID + "-" + PARENT_ID + "-01").isRandomTraceId()).isFalse();
    }

    @Test
    void absentTraceparentIsNoContext() {
        assertThat(format.extract(carrier, getter)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "00", "00-", // truncated
            "00-" + TRACE_ID + "-" + PARENT_ID + "-0", // short flags
            "00-" + TRACE_ID + "-" + PARENT_ID + "-010", // flags overflow
            "00-" + TRACE_ID + "-" + PARENT_ID + "-01-", // version 00 is exactly 55
            "00-" + TRACE_ID + "-" + PARENT_ID + "-01-what-the-future-will-be-like",
            "00-" + TRACE_ID + "1-" + PARENT_ID + "-01", // trace id too long
            "00-" + "1234567890123456789012345678901" + "-" + PARENT_ID + "-01", // trace id too short
            "00-" + TRACE_ID + "-" + "123456789012345" + "-01", // parent id too short
            "00-" + TRACE_ID + "-" + "12345678901234567" + "-01", // parent id too long
            "00-ABCDEF78901234567890123456789012-" + PARENT_ID + "-01", // upper-case trace id
            "00-" + TRACE_ID + "-ABCDEF7890123456-01", // upper-case parent id
            "00-" + TRACE_ID + "-" + PARENT_ID + "-0A", // upper-case flags
            "0A-" + TRACE_ID + "-" + PARENT_ID + "-01", // upper-case version
            "00-00000000000000000000000000000000-" + PARENT_ID + "-01", // all-zero trace id
            "00-" + TRACE_ID + "-0000000000000000-01", // all-zero parent id
            "ff-" + TRACE_ID + "-" + PARENT_ID + "-01", // version ff
            "ff-" + TRACE_ID + "-" + PARENT_ID + "-01-extra",
            "0.-" + TRACE_ID + "-" + PARENT_ID + "-01", // illegal version
            "00-" + TRACE_ID + "-" + PARENT_ID + "-.1", // illegal flags
            "00-" + TRACE_ID + "-" + PARENT_ID + "-0.",
            "00-1234567890123456789012345678901.-" + PARENT_ID + "-01", // illegal trace id char
            "00-" + TRACE_ID + "-123456789012345.-01", // illegal parent id char
            "00_" + TRACE_ID + "-" + PARENT_ID + "-01", // bad separators
            "00-" + TRACE_ID + "_" + PARENT_ID + "-01",
            "00-" + TRACE_ID + "-" + PARENT_ID + "_01",
            "00 " + TRACE_ID + " " + PARENT_ID + " 01",
            "cc-" + TRACE_ID + "-" + PARENT_ID + "-01.what-the-future-will-be-like", // future needs '-'
            "cc-" + TRACE_ID + "-" + PARENT_ID + "-01what",
            "00-" + TRACE_ID + "-" + PARENT_ID + "-01," + "00-" + TRACE_ID + "-" + PARENT_ID + "-01", // joined
    })
    void invalidTraceparentIsNoContext(String traceparent) {
        assertThat(extract(traceparent)).isNull();
    }

    @Test
    void futureVersionWithExtraFieldsReadsTheFirst55Characters() {
        SpanContext context = extract("cc-" + TRACE_ID + "-" + PARENT_ID + "-01-what-the-future-will-be-like");

        assertThat(context.traceId()).isEqualTo(TRACE_ID);
        assertThat(context.spanId()).isEqualTo(PARENT_ID);
        assertThat(context.sampled()).isTrue();
    }

    @Test
    void futureVersionWithoutExtraFieldsIsValid() {
        assertThat(extract("cc-" + TRACE_ID + "-" + PARENT_ID + "-00").spanId()).isEqualTo(PARENT_ID);
    }

    @Test
    void surroundingOptionalWhitespaceIsTolerated() {
        assertThat(extract(" \t" + VALID + "\t ").traceId()).isEqualTo(TRACE_ID);
    }

    @Test
    void repeatedIdenticalTraceparentsAreAccepted() {
        assertThat(extract(headers("traceparent", VALID, "traceparent", VALID)).traceId()).isEqualTo(TRACE_ID);
    }

    @Test
    void repeatedDifferentTraceparentsAreInvalid() {
        String other = "00-" + TRACE_ID + "-6543210987654321-01";

        assertThat(extract(headers("traceparent", VALID, "traceparent", other, "tracestate", "foo=1"))).isNull();
    }

    @Test
    void tracestateIsKept() {
        carrier.put("tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");

        assertThat(extract(VALID).traceState()).isEqualTo("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    }

    @Test
    void tracestateIsIgnoredWhenTraceparentIsInvalid() {
        carrier.put("tracestate", "foo=1");

        assertThat(extract("00-" + TRACE_ID + "-" + PARENT_ID + "-0")).isNull();
    }

    @Test
    void repeatedTracestateHeadersAreCombined() {
        SpanContext context = extract(headers("traceparent", VALID, "tracestate", "foo=1", "tracestate", "bar=2"));

        assertThat(context.traceState()).isEqualTo("foo=1,bar=2");
    }

    @Test
    void emptyTracestateMembersAndWhitespaceAreSkipped() {
        SpanContext context = extract(headers("traceparent", VALID, "tracestate", "foo=1 ,, \t,bar=2",
                "tracestate", ""));

        assertThat(context.traceState()).isEqualTo("foo=1,bar=2");
    }

    @Test
    void emptyTracestateIsNone() {
        carrier.put("tracestate", " , ");

        SpanContext context = extract(VALID);
        assertThat(context.traceId()).isEqualTo(TRACE_ID);
        assertThat(context.traceState()).isNull();
    }

    @Test
    void tracestateWith32MembersIsKept() {
        carrier.put("tracestate", members(32));

        assertThat(extract(VALID).traceState()).isEqualTo(members(32));
    }

    @Test
    void tracestateWith33MembersIsDroppedButTraceparentUsed() {
        carrier.put("tracestate", members(33));

        SpanContext context = extract(VALID);
        assertThat(context.traceId()).isEqualTo(TRACE_ID);
        assertThat(context.traceState()).isNull();
    }

    @Test
    void tracestateOver32MembersAcrossHeadersIsDropped() {
        SpanContext context = extract(headers("traceparent", VALID, "tracestate", members(20), "tracestate",
                members(13).replace('k', 'j')));

        assertThat(context.traceState()).isNull();
    }

    @Test
    void aTracestateOverItsLengthLimitDropsMembersOver128CharactersFirstThenFromTheEnd() {
        // 32 valid members of 513 characters: 16 KB on every call after this one, past gRPC's 8 KiB metadata limit
        StringBuilder huge = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            huge.append(i == 0 ? "" : ",").append("k").append(i).append("x".repeat(255 - String.valueOf(i).length()))
                .append('=').append("v".repeat(256));
        }
        carrier.put("tracestate", huge.toString());
        String kept = extract(VALID).traceState();
        assertThat(kept).hasSizeLessThanOrEqualTo(W3cTraceContextFormat.MAX_TRACESTATE_LENGTH)
            .isEqualTo(huge.substring(0, huge.indexOf(",")));

        String longMember = "long=" + "v".repeat(200);
        StringBuilder list = new StringBuilder("first=1,").append(longMember);
        for (int i = 0; i < 30; i++) {
            list.append(",m").append(i).append('=').append("v".repeat(40));
        }
        carrier.put("tracestate", list.toString());
        kept = extract(VALID).traceState();
        // the long member goes first, then members from the end, until it fits
        assertThat(kept).startsWith("first=1,m0=").doesNotContain("long=")
            .hasSizeLessThanOrEqualTo(W3cTraceContextFormat.MAX_TRACESTATE_LENGTH)
            .hasSizeGreaterThan(W3cTraceContextFormat.MAX_TRACESTATE_LENGTH - 45);
        assertThat(list.toString().replace("," + longMember, "")).startsWith(kept);
    }

    static String members(int count) {
        StringBuilder result = new StringBuilder();
        for (int i = 0; i < count; i++) {
            result.append(i == 0 ? "" : ",").append("k").append(i).append("=v").append(i);
        }
        return result.toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "Foo=1", // upper case key
            "_foo=1", // a key starts with a lower-case letter or a digit
            "foo =1", // no whitespace around '='
            "foo= 1 ,bar=2x,baz=", // empty value
            "foo", // no '='
            "=1", // empty key
            "foo=1=2", // '=' in value
            "foo.bar=1", // '.' not allowed in a key
            "@bar=1", // '@' is no first character
            "foo=\u00e9", // value is printable ASCII
            "foo=a\tb",
    })
    void invalidTracestateIsDroppedButTraceparentUsed(String tracestate) {
        carrier.put("tracestate", tracestate);

        SpanContext context = extract(VALID);
        assertThat(context.traceId()).isEqualTo(TRACE_ID);
        assertThat(context.traceState()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "foo=1", "a0_-*/=1", "tenant@system=1", "1tenant@sys-tem_*/=1", "foo@abcdefghijklmn=1",
            "foo= leading space ok", "foo=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~",
            // Level 2 keys: '@' anywhere after the first character, a digit first, any system id
            "foo@=1", "1foo=1", "foo@1bar=1", "foo@bar@baz=1", "foo@abcdefghijklmno=1",
    })
    void validTracestateIsKept(String tracestate) {
        carrier.put("tracestate", tracestate);

        assertThat(extract(VALID).traceState()).isEqualTo(tracestate);
    }

    @Test
    void tracestateKeyAndValueLengthLimits() {
        String key256 = "k" + "a".repeat(255);
        String value256 = "v".repeat(256);
        carrier.put("tracestate", key256 + "=" + value256);
        assertThat(extract(VALID).traceState()).isEqualTo(key256 + "=" + value256);

        carrier.put("tracestate", key256 + "a=1");
        assertThat(extract(VALID).traceState()).isNull();

        carrier.put("tracestate", "foo=" + value256 + "v");
        assertThat(extract(VALID).traceState()).isNull();

        // Level 1 capped a tenant id at 241 characters; the current grammar only the whole key, at 256
        carrier.put("tracestate", "t".repeat(242) + "@sys=1");
        assertThat(extract(VALID).traceState()).isEqualTo("t".repeat(242) + "@sys=1");

        carrier.put("tracestate", "t@" + "v".repeat(254) + "=1");
        assertThat(extract(VALID).traceState()).isEqualTo("t@" + "v".repeat(254) + "=1");
    }

    @Test
    void ofADuplicatedTracestateKeyTheFirstMemberIsKept() {
        carrier.put("tracestate", "foo=1,bar=2,foo=3");
        assertThat(extract(VALID).traceState()).isEqualTo("foo=1,bar=2");

        SpanContext context = extract(headers("traceparent", VALID, "tracestate", "foo=1", "tracestate", "foo=1,baz=4"));
        assertThat(context.traceState()).isEqualTo("foo=1,baz=4");
    }

    @Test
    void injectWritesTraceparentAndTracestate() {
        SpanContext context = SpanContext.remote(0x1234567890123456L, 0x7890123456789012L, 0L, 0x1234567890123456L,
                true, false).withTraceState("foo=1");

        format.inject(context, carrier, setter);

        assertThat(carrier).containsEntry("traceparent", VALID).containsEntry("tracestate", "foo=1");
    }

    @Test
    void injectWritesFlagsZeroWhenNotSampledOrUnknown() {
        format.inject(SpanContext.create(0L, 1L, 0L, 2L, false, false), carrier, setter);
        assertThat(carrier.get("traceparent")).isEqualTo("00-00000000000000000000000000000001-0000000000000002-00");

        format.inject(SpanContext.create(0L, 1L, 0L, 2L, null, false), carrier, setter);
        assertThat(carrier.get("traceparent")).endsWith("-00");
        assertThat(carrier).doesNotContainKey("tracestate");
    }

    @Test
    void injectSkipsContextWithoutIds() {
        format.inject(SpanContext.samplingFlagsOnly(true, false), carrier, setter);
        format.inject(null, carrier, setter);

        assertThat(carrier).isEmpty();
    }

    @Test
    void roundTrip() {
        SpanContext original = SpanContext.create(0xabcdefL, 0x123456789abcdefL, 0x42L, 0x99L, true, false)
                .withTraceState("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");

        format.inject(original, carrier, setter);
        SpanContext extracted = format.extract(carrier, getter);

        assertThat(extracted.traceId()).isEqualTo(original.traceId());
        assertThat(extracted.spanId()).isEqualTo(original.spanId());
        assertThat(extracted.sampled()).isTrue();
        assertThat(extracted.traceState()).isEqualTo(original.traceState());
    }

    @Test
    void roundTripUnsampled() {
        SpanContext original = SpanContext.create(1L, 2L, 0L, 3L, false, false);

        format.inject(original, carrier, setter);
        SpanContext extracted = format.extract(carrier, getter);

        assertThat(extracted).isEqualTo(original);
        assertThat(extracted.sampled()).isFalse();
    }
}
