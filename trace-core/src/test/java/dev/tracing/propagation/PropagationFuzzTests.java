package dev.tracing.propagation;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.tracing.core.BaggageFields;
import dev.tracing.core.SpanContext;
import dev.tracing.core.Tracing;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile and random propagation headers: random strings and mutations of valid values (one
 * character changed, truncated, doubled, upper-cased, padded, non-ASCII inserted), repeated
 * headers, for {@code traceparent}, {@code tracestate}, {@code b3}, {@code X-B3-*},
 * {@code uber-trace-id}, {@code baggage} and {@code uberctx-*}. No exception escapes; a value that the specification's grammar (written here
 * as a regular expression, independently of the parsers) rejects yields no context and a fresh
 * trace; a valid value yields exactly its ids, and a value in normal form round-trips exactly.
 *
 * <p>Each property runs {@code jqwik.tries.default} cases (10,000, set in
 * {@code junit-platform.properties}); {@code benchmarks/fuzz.sh} runs them with 1,000,000.
 */
class PropagationFuzzTests {

    static final List<String> ALLOWED = List.of("tenant", "user-id", "region");

    static final Pattern TRACEPARENT_00 = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");

    static final Pattern TRACEPARENT_FUTURE = Pattern
        .compile("([0-9a-e][0-9a-f]|f[0-9a-e])-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?", Pattern.DOTALL);

    static final Pattern B3_SINGLE = Pattern
        .compile("([0-9a-f]{16}|[0-9a-f]{32})-([0-9a-f]{16})(?:-([01d]))?(?:-([0-9a-f]{16}))?");

    static final Pattern UBER_TRACE_ID = Pattern
        .compile("([0-9a-f]{1,32}):([0-9a-f]{1,16}):[0-9a-f]{1,16}:([0-9a-f]{1,2})");

    /** {@code uber-trace-id} URL-encoded: no ':' at all, '%3A' in its place. */
    static final Pattern UBER_TRACE_ID_ENCODED = Pattern
        .compile("([0-9a-f]{1,32})%3[Aa]([0-9a-f]{1,16})%3[Aa][0-9a-f]{1,16}%3[Aa]([0-9a-f]{1,2})");

    static final String ZERO_16 = "0000000000000000";

    final Tracer tracer = Tracing.newBuilder().serviceName("fuzz").remoteFields(ALLOWED).build();

    final W3cBaggageFormat baggage = new W3cBaggageFormat(ALLOWED);

    final CompositePropagator propagator = new CompositePropagator(tracer,
            List.of(W3cTraceContextFormat.INSTANCE, B3SingleFormat.INSTANCE, B3MultiFormat.INSTANCE,
                    JaegerFormat.INSTANCE),
            List.of(W3cTraceContextFormat.INSTANCE, JaegerFormat.INSTANCE), baggage);

    final EntryHeaderBaggageFormat jaegerBaggage = EntryHeaderBaggageFormat.jaeger(ALLOWED);

    // ---------------------------------------------------------------- traceparent

    @Property
    void traceparentIsAContextExactlyWhenTheGrammarAllowsIt(@ForAll("hostileTraceparents") String value) {
        Map<String, List<String>> carrier = Map.of("traceparent", List.of(value));

        SpanContext parsed = W3cTraceContextFormat.INSTANCE.extract(carrier, MultiValueGetter.INSTANCE);
        Span span = propagator.extract(carrier, MultiValueGetter.INSTANCE).start();

        String trimmed = trimOws(value);
        Matcher strict = TRACEPARENT_00.matcher(trimmed);
        Matcher future = TRACEPARENT_FUTURE.matcher(trimmed);
        Matcher valid = strict.matches() ? strict
                : !trimmed.startsWith("00") && future.matches() ? future : null;
        int offset = valid == strict ? 0 : 1;
        if (valid != null && !isZero(valid.group(1 + offset)) && !isZero(valid.group(2 + offset))) {
            assertThat(parsed).isNotNull();
            assertThat(parsed.traceId()).isEqualTo(asLogged(valid.group(1 + offset)));
            assertThat(parsed.spanId()).isEqualTo(valid.group(2 + offset));
            assertThat(parsed.isSampled()).isEqualTo((Integer.parseInt(valid.group(3 + offset), 16) & 1) == 1);
            assertThat(span.context().traceId()).isEqualTo(asLogged(valid.group(1 + offset)));
            assertThat(span.context().parentId()).isEqualTo(valid.group(2 + offset));
        }
        else {
            assertThat(parsed).isNull();
            assertFreshTrace(span);
        }
        span.end();
    }

    @Property
    void traceparentAndTracestateInNormalFormRoundTripExactly(@ForAll("traceparents") String traceparent,
            @ForAll("tracestates") String tracestate) {
        Map<String, List<String>> carrier = Map.of("traceparent", List.of(traceparent), "tracestate",
                List.of(tracestate));

        SpanContext parsed = W3cTraceContextFormat.INSTANCE.extract(carrier, MultiValueGetter.INSTANCE);
        Map<String, String> out = new HashMap<>();
        W3cTraceContextFormat.INSTANCE.inject(parsed, out, Map::put);

        assertThat(out).containsExactlyInAnyOrderEntriesOf(Map.of("traceparent", traceparent, "tracestate", tracestate));
    }

    @Property
    void repeatedTraceparentIsAContextOnlyWhenEveryValueIsTheSame(@ForAll("traceparents") String first,
            @ForAll("traceparents") String second) {
        Map<String, List<String>> same = Map.of("traceparent", List.of(first, first));
        Map<String, List<String>> different = Map.of("traceparent", List.of(first, second));

        assertThat(W3cTraceContextFormat.INSTANCE.extract(same, MultiValueGetter.INSTANCE).traceId())
            .isEqualTo(asLogged(first.substring(3, 35)));
        if (!first.equals(second)) {
            assertThat(W3cTraceContextFormat.INSTANCE.extract(different, MultiValueGetter.INSTANCE)).isNull();
            assertFreshTrace(propagator.extract(different, MultiValueGetter.INSTANCE).start());
        }
    }

    // ---------------------------------------------------------------- tracestate

    @Property
    void hostileTracestateNeverCostsTheTraceparentAndKeepsOnlyValidMembers(@ForAll("traceparents") String traceparent,
            @ForAll("hostileTracestates") List<String> tracestates) {
        Map<String, List<String>> carrier = Map.of("traceparent", List.of(traceparent), "tracestate", tracestates);

        SpanContext parsed = W3cTraceContextFormat.INSTANCE.extract(carrier, MultiValueGetter.INSTANCE);

        assertThat(parsed.traceId()).isEqualTo(asLogged(traceparent.substring(3, 35)));
        String kept = parsed.traceState();
        if (kept != null) {
            // what is kept is in normal form (parsing it again changes nothing), within the limits,
            // and made only of members that were sent
            assertThat(W3cTraceContextFormat.parseTraceState(kept)).isEqualTo(kept);
            String[] members = kept.split(",");
            assertThat(members.length).isLessThanOrEqualTo(W3cTraceContextFormat.MAX_TRACESTATE_MEMBERS);
            String sent = String.join(",", tracestates);
            for (String member : members) {
                assertThat(sent).contains(member);
            }
        }
    }

    // ---------------------------------------------------------------- b3

    @Property
    void b3IsAContextExactlyWhenTheGrammarAllowsIt(@ForAll("hostileB3") String value) {
        Map<String, String> carrier = Map.of("b3", value);

        SpanContext parsed = B3SingleFormat.INSTANCE.extract(carrier, Map::get);
        Span span = propagator.extract(carrier, (c, k) -> c.get(k)).start();

        Matcher valid = B3_SINGLE.matcher(value);
        if (value.length() == 1 && "01d".indexOf(value.charAt(0)) >= 0) {
            assertThat(parsed).isNotNull();
            assertThat(parsed.isSamplingFlagsOnly()).isTrue();
            assertThat(parsed.isSampled()).isEqualTo(!value.equals("0"));
        }
        else if (valid.matches() && !isZero(valid.group(1)) && !isZero(valid.group(2))
                && (valid.group(4) == null || !isZero(valid.group(4)))) {
            assertThat(parsed).isNotNull();
            assertThat(parsed.traceId()).isEqualTo(asLogged(valid.group(1)));
            assertThat(parsed.spanId()).isEqualTo(valid.group(2));
            assertThat(parsed.parentId()).isEqualTo(valid.group(4));
            assertThat(parsed.sampled()).isEqualTo(valid.group(3) == null ? null : !valid.group(3).equals("0"));
            assertThat(span.context().parentId()).isEqualTo(valid.group(2));
        }
        else {
            assertThat(parsed).isNull();
            assertFreshTrace(span);
        }
        span.end();
    }

    @Property
    void b3InNormalFormRoundTripsExactly(@ForAll("b3Values") String value) {
        SpanContext parsed = B3SingleFormat.INSTANCE.extract(Map.of("b3", value), Map::get);
        Map<String, String> out = new HashMap<>();
        B3SingleFormat.INSTANCE.inject(parsed, out, Map::put);

        assertThat(out).containsExactly(Map.entry("b3", value));
    }

    // ---------------------------------------------------------------- X-B3-*

    @Property
    void b3MultiIsAContextExactlyWhenEveryFieldIsValid(@ForAll("b3MultiHeaders") Map<String, String> valid,
            @ForAll("b3MultiField") String field, @ForAll("mutations") Mutation mutation) {
        Map<String, String> carrier = new HashMap<>(valid);
        String original = carrier.get(field);
        String mutated = mutation.apply(original == null ? "" : original);
        carrier.put(field, mutated);

        SpanContext parsed = B3MultiFormat.INSTANCE.extract(carrier, Map::get);
        Span span = propagator.extract(carrier, (c, k) -> c.get(k)).start();

        boolean stillValid = switch (field) {
            // ids without their leading zeros are read padded, as Brave reads them
            case "x-b3-traceid" -> mutated.matches("[0-9a-f]{2,32}") && !isZero(mutated);
            case "x-b3-spanid", "x-b3-parentspanid" -> mutated.matches("[0-9a-f]{2,16}") && !isZero(mutated);
            case "x-b3-sampled" -> mutated.matches("[01]|(?i:true|false)");
            default -> true; // x-b3-flags: anything but "1" means no debug flag
        };
        if (stillValid) {
            assertThat(parsed).isNotNull();
            assertThat(parsed.traceId()).isEqualTo(asLogged(leftPad(carrier.get("x-b3-traceid"))));
            assertThat(parsed.spanId()).isEqualTo(leftPad16(carrier.get("x-b3-spanid")));
            assertThat(parsed.isDebug()).isEqualTo("1".equals(carrier.get("x-b3-flags")));
            assertThat(span.context().parentId()).isEqualTo(leftPad16(carrier.get("x-b3-spanid")));
        }
        else {
            assertThat(parsed).isNull();
            assertFreshTrace(span);
        }
        span.end();
    }

    @Property
    void b3MultiInNormalFormRoundTripsExactly(@ForAll("b3MultiHeaders") Map<String, String> headers) {
        SpanContext parsed = B3MultiFormat.INSTANCE.extract(headers, Map::get);
        Map<String, String> out = new HashMap<>();
        B3MultiFormat.INSTANCE.inject(parsed, out, Map::put);

        assertThat(out).isEqualTo(headers);
    }

    // ---------------------------------------------------------------- uber-trace-id

    @Property
    void uberTraceIdIsAContextExactlyWhenTheGrammarAllowsIt(@ForAll("hostileUberTraceIds") String value) {
        Map<String, String> carrier = Map.of("uber-trace-id", value);

        SpanContext parsed = JaegerFormat.INSTANCE.extract(carrier, Map::get);
        Span span = propagator.extract(carrier, (c, k) -> c.get(k)).start();

        Matcher plain = UBER_TRACE_ID.matcher(trimOws(value));
        Matcher encoded = UBER_TRACE_ID_ENCODED.matcher(trimOws(value));
        Matcher valid = plain.matches() ? plain : encoded.matches() ? encoded : null;
        if (valid != null && !isZero(valid.group(1)) && !isZero(valid.group(2))) {
            int flags = Integer.parseInt(valid.group(3), 16);
            assertThat(parsed).isNotNull();
            assertThat(parsed.traceId()).isEqualTo(asLogged(leftPad(valid.group(1))));
            assertThat(parsed.spanId()).isEqualTo(leftPad16(valid.group(2)));
            assertThat(parsed.isSampled()).isEqualTo((flags & 3) != 0);
            assertThat(parsed.isDebug()).isEqualTo((flags & 2) != 0);
            assertThat(span.context().parentId()).isEqualTo(leftPad16(valid.group(2)));
        }
        else {
            assertThat(parsed).isNull();
            assertFreshTrace(span);
        }
        span.end();
    }

    @Property
    void uberTraceIdInNormalFormRoundTripsExactly(@ForAll("uberTraceIds") String value) {
        SpanContext parsed = JaegerFormat.INSTANCE.extract(Map.of("uber-trace-id", value), Map::get);
        Map<String, String> out = new HashMap<>();
        JaegerFormat.INSTANCE.inject(parsed, out, Map::put);

        assertThat(out).containsExactly(Map.entry("uber-trace-id", value));
    }

    @Property
    void hostileUberctxHeadersKeepOnlyAllowedNamesWithinTheLimit(
            @ForAll("hostileUberctx") Map<String, String> headers) {
        BaggageFields fields = jaegerBaggage.extract(headers, Map::get);
        Map<String, String> with = new HashMap<>(headers);
        with.put("uber-trace-id", "1".repeat(32) + ":" + "2".repeat(16) + ":0:1");
        Span span = propagator.extract(with, (c, k) -> c.get(k)).start();
        Map<String, String> out = new HashMap<>();
        propagator.inject(span.context(), out, Map::put);
        span.end();

        if (fields != null) {
            int characters = 0;
            for (Map.Entry<String, String> entry : fields.asMap().entrySet()) {
                assertThat(ALLOWED).contains(entry.getKey());
                characters += entry.getKey().length() + entry.getValue().length();
            }
            assertThat(characters).isLessThanOrEqualTo(EntryHeaderBaggageFormat.MAX_CHARACTERS);
        }
        int written = 0;
        for (Map.Entry<String, String> entry : out.entrySet()) {
            if (entry.getKey().startsWith("uberctx-")) {
                assertThat(jaegerBaggage.fields()).contains(entry.getKey());
                // what is written is a valid header value: printable ASCII, nothing to split a header on
                assertThat(entry.getValue()).matches("[!-~]*").doesNotContain(",", ";", "\"");
                written += entry.getKey().length() - "uberctx-".length() + entry.getValue().length();
            }
        }
        assertThat(written).isLessThanOrEqualTo(EntryHeaderBaggageFormat.MAX_CHARACTERS);
    }

    // ---------------------------------------------------------------- baggage

    @Property
    void hostileBaggageKeepsOnlyAllowedNamesWithinTheLimits(@ForAll("hostileBaggage") List<String> values) {
        Map<String, List<String>> carrier = Map.of("baggage", values);

        BaggageFields fields = baggage.extract(carrier, MultiValueGetter.INSTANCE);
        Span span = propagator.extract(Map.of("traceparent", List.of("00-" + "1".repeat(32) + "-" + "2".repeat(16) + "-01"),
                "baggage", values), MultiValueGetter.INSTANCE).start();
        Map<String, String> out = new HashMap<>();
        propagator.inject(span.context(), out, Map::put);
        span.end();

        if (fields != null) {
            assertThat(ALLOWED).containsAll(fields.asMap().keySet());
        }
        String sent = out.get("baggage");
        if (sent != null) {
            assertThat(sent.length()).isLessThanOrEqualTo(W3cBaggageFormat.MAX_BYTES);
            for (String member : sent.split(",")) {
                assertThat(ALLOWED).contains(member.substring(0, member.indexOf('=')));
            }
        }
    }

    @Property
    void baggageInNormalFormRoundTripsExactly(@ForAll("baggageValues") Map<String, String> entries) {
        StringBuilder header = new StringBuilder();
        for (String name : ALLOWED) {
            if (entries.containsKey(name)) {
                if (header.length() > 0) {
                    header.append(',');
                }
                header.append(name).append('=').append(entries.get(name));
            }
        }
        BaggageFields fields = baggage.extract(Map.of("baggage", List.of(header.toString())), MultiValueGetter.INSTANCE);
        Map<String, String> out = new HashMap<>();
        baggage.inject(fields, out, Map::put);

        assertThat(out).containsExactly(Map.entry("baggage", header.toString()));
    }

    // ---------------------------------------------------------------- generators

    @Provide
    Arbitrary<String> traceparents() {
        return Combinators.combine(nonZeroHex(32), nonZeroHex(16), Arbitraries.of("00", "01"))
            .as((traceId, spanId, flags) -> "00-" + traceId + "-" + spanId + "-" + flags);
    }

    @Provide
    Arbitrary<String> hostileTraceparents() {
        Arbitrary<String> future = Combinators
            .combine(hex(2), traceparents(), Arbitraries.of("", "-", "-x", "-00-extra"))
            .as((version, valid, tail) -> version + valid.substring(2) + tail);
        return hostile(Arbitraries.oneOf(traceparents(), future));
    }

    @Provide
    Arbitrary<String> tracestates() {
        Arbitrary<String> key = Arbitraries.oneOf(
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(12),
                Combinators.combine(Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(8),
                        Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(8))
                    .as((tenant, system) -> tenant + "@" + system));
        Arbitrary<String> value = Arbitraries.strings()
            .withCharRange('!', '~')
            .excludeChars(',', '=')
            .ofMinLength(1)
            .ofMaxLength(16);
        return Arbitraries.maps(key, value).ofMinSize(1).ofMaxSize(32).map(members -> {
            StringBuilder out = new StringBuilder();
            members.forEach((k, v) -> out.append(out.length() == 0 ? "" : ",").append(k).append('=').append(v));
            return out.toString();
        });
    }

    @Provide
    Arbitrary<List<String>> hostileTracestates() {
        return hostile(tracestates()).list().ofMinSize(1).ofMaxSize(3);
    }

    @Provide
    Arbitrary<String> b3Values() {
        Arbitrary<String> traceId = Arbitraries.oneOf(nonZeroHex(16),
                Combinators.combine(nonZeroHex(16), hex(16)).as(String::concat));
        return Combinators.combine(traceId, nonZeroHex(16), Arbitraries.of("", "-1", "-0", "-d"))
            .as((t, s, state) -> t + "-" + s + state);
    }

    @Provide
    Arbitrary<String> hostileB3() {
        Arbitrary<String> withParent = Combinators.combine(b3Values(), nonZeroHex(16))
            .as((value, parent) -> value + "-" + parent);
        return hostile(Arbitraries.oneOf(b3Values(), withParent, Arbitraries.of("0", "1", "d")));
    }

    @Provide
    Arbitrary<Map<String, String>> b3MultiHeaders() {
        Arbitrary<String> traceId = Arbitraries.oneOf(nonZeroHex(16),
                Combinators.combine(nonZeroHex(16), hex(16)).as(String::concat));
        Arbitrary<String> parent = Arbitraries.oneOf(Arbitraries.just(null), nonZeroHex(16));
        Arbitrary<String> decision = Arbitraries.of("none", "1", "0", "debug");
        return Combinators.combine(traceId, nonZeroHex(16), parent, decision).as((t, s, p, d) -> {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("x-b3-traceid", t);
            headers.put("x-b3-spanid", s);
            if (p != null) {
                headers.put("x-b3-parentspanid", p);
            }
            if (d.equals("debug")) {
                headers.put("x-b3-flags", "1");
            }
            else if (!d.equals("none")) {
                headers.put("x-b3-sampled", d);
            }
            return headers;
        });
    }

    @Provide
    Arbitrary<String> b3MultiField() {
        return Arbitraries.of("x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags");
    }

    @Provide
    Arbitrary<String> uberTraceIds() {
        Arbitrary<String> traceId = Arbitraries.oneOf(nonZeroHex(16),
                Combinators.combine(nonZeroHex(16), hex(16)).as(String::concat));
        return Combinators.combine(traceId, nonZeroHex(16), Arbitraries.of("0", "1", "3"))
            .as((t, s, flags) -> t + ":" + s + ":0:" + flags);
    }

    @Provide
    Arbitrary<String> hostileUberTraceIds() {
        Arbitrary<String> shortIds = Combinators
            .combine(hex(1, 32), hex(1, 16), hex(1, 16), hex(1, 2), Arbitraries.of(":", "%3A", "%3a"))
            .as((t, s, p, f, sep) -> t + sep + s + sep + p + sep + f);
        Arbitrary<String> encoded = uberTraceIds().map(v -> v.replace(":", "%3A"));
        return hostile(Arbitraries.oneOf(uberTraceIds(), shortIds, encoded));
    }

    @Provide
    Arbitrary<Map<String, String>> hostileUberctx() {
        Arbitrary<String> name = Arbitraries.oneOf(Arbitraries.of(ALLOWED).map(n -> "uberctx-" + n.toLowerCase(Locale.ROOT)),
                Arbitraries.strings().ofMaxLength(12).map(n -> "uberctx-" + n));
        Arbitrary<String> value = hostile(Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(40),
                Arbitraries.strings().withChars('%', 'e', '2', '8', 'A', ' ', '+').ofMaxLength(20),
                Arbitraries.integers().between(3000, 5000).map("v"::repeat)));
        return Arbitraries.maps(name, value).ofMaxSize(6);
    }

    @Provide
    Arbitrary<Map<String, String>> baggageValues() {
        Arbitrary<String> value = Arbitraries.strings()
            .withCharRange('a', 'z')
            .withCharRange('A', 'Z')
            .withCharRange('0', '9')
            .withChars('-', '.', '_', '~', '!', '*', '/', ':', '?')
            .ofMinLength(1)
            .ofMaxLength(40);
        return Arbitraries.maps(Arbitraries.of(ALLOWED), value).ofMinSize(1).ofMaxSize(ALLOWED.size());
    }

    @Provide
    Arbitrary<List<String>> hostileBaggage() {
        Arbitrary<String> member = Combinators
            .combine(Arbitraries.oneOf(Arbitraries.of(ALLOWED), Arbitraries.strings().ofMaxLength(10)),
                    Arbitraries.strings().ofMaxLength(30), Arbitraries.of("", ";prop", ";p=1", " ", "%", "%zz", "%e2%82"))
            .as((k, v, tail) -> k + "=" + v + tail);
        Arbitrary<String> header = member.list().ofMinSize(1).ofMaxSize(80).map(l -> String.join(",", l));
        return hostile(header).list().ofMinSize(1).ofMaxSize(3);
    }

    @Provide
    Arbitrary<Mutation> mutations() {
        return Combinators.combine(Arbitraries.of(Mutation.Kind.class), Arbitraries.integers().between(0, 1000),
                Arbitraries.of('0', 'a', 'f', 'g', 'A', 'F', '-', ' ', '\t', ',', '=', ';', '%', 'é', '\u0000',
                        '\u00ff', '\ud800', '\uffff', '\u4e2d'),
                Arbitraries.strings().ofMaxLength(80))
            .as(Mutation::new);
    }

    /** A valid value, mutated one way or another, or now and then a random string. */
    Arbitrary<String> hostile(Arbitrary<String> valid) {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, valid),
                net.jqwik.api.Tuple.of(6, Combinators.combine(valid, mutations()).as((v, m) -> m.apply(v))),
                net.jqwik.api.Tuple.of(1, Arbitraries.strings().ofMaxLength(120)));
    }

    static Arbitrary<String> hex(int length) {
        return Arbitraries.strings().withChars("0123456789abcdef".toCharArray()).ofLength(length);
    }

    static Arbitrary<String> hex(int minLength, int maxLength) {
        return Arbitraries.strings().withChars("0123456789abcdef".toCharArray()).ofMinLength(minLength)
            .ofMaxLength(maxLength);
    }

    static Arbitrary<String> nonZeroHex(int length) {
        return hex(length).filter(s -> !isZero(s));
    }

    /** One way of spoiling (or, by chance, keeping) a valid header value. */
    record Mutation(Kind kind, int position, char c, String random) {

        enum Kind {
            CHANGE_ONE, TRUNCATE, DOUBLE, DOUBLE_WITH_COMMA, UPPER_CASE, PAD, INSERT, REMOVE_ONE, RANDOM
        }

        String apply(String value) {
            int at = value.isEmpty() ? 0 : position % value.length();
            return switch (kind) {
                case CHANGE_ONE -> value.isEmpty() ? String.valueOf(c)
                        : value.substring(0, at) + c + value.substring(at + 1);
                case TRUNCATE -> value.substring(0, at);
                case DOUBLE -> value + value;
                case DOUBLE_WITH_COMMA -> value + "," + value;
                case UPPER_CASE -> value.toUpperCase(Locale.ROOT);
                case PAD -> (position % 2 == 0 ? " " : "\t") + value + (position % 3 == 0 ? "" : " ");
                case INSERT -> value.substring(0, at) + c + value.substring(at);
                case REMOVE_ONE -> value.isEmpty() ? value : value.substring(0, at) + value.substring(at + 1);
                case RANDOM -> random;
            };
        }

    }

    // ---------------------------------------------------------------- helpers

    static void assertFreshTrace(Span span) {
        assertThat(span.context().parentId()).isNullOrEmpty();
        assertThat(span.context().traceId()).hasSize(32);
    }

    static boolean isZero(String hex) {
        for (int i = 0; i < hex.length(); i++) {
            if (hex.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }

    /** A trace id as logged: 16 characters when its high half is zero (a 64-bit id), else 32. */
    static String asLogged(String traceId) {
        return traceId.length() == 32 && traceId.startsWith(ZERO_16) ? traceId.substring(16) : traceId;
    }

    /** A hex id left-padded with zeros to 32 characters, or to 16 when it has at most 16. */
    static String leftPad(String id) {
        return id.length() <= 16 ? leftPad16(id) : "0".repeat(32 - id.length()) + id;
    }

    static String leftPad16(String id) {
        return "0".repeat(16 - id.length()) + id;
    }

    static String trimOws(String value) {
        int begin = 0;
        int end = value.length();
        while (begin < end && (value.charAt(begin) == ' ' || value.charAt(begin) == '\t')) {
            begin++;
        }
        while (end > begin && (value.charAt(end - 1) == ' ' || value.charAt(end - 1) == '\t')) {
            end--;
        }
        return value.substring(begin, end);
    }

}
