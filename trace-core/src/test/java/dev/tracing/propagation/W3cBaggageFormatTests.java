package dev.tracing.propagation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.tracing.core.BaggageFields;
import io.micrometer.tracing.propagation.Propagator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class W3cBaggageFormatTests {

    final W3cBaggageFormat format = new W3cBaggageFormat(List.of("userId", "tenant", "region"));

    final Map<String, String> carrier = new HashMap<>();

    final Propagator.Getter<Map<String, String>> getter = (c, k) -> c.get(k);

    final Propagator.Setter<Map<String, String>> setter = (c, k, v) -> c.put(k, v);

    Map<String, String> extract(String baggage) {
        carrier.put("baggage", baggage);
        BaggageFields fields = format.extract(carrier, getter);
        return fields == null ? null : fields.asMap();
    }

    static BaggageFields baggage(String... namesAndValues) {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            values.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return BaggageFields.of(values);
    }

    @Test
    void fields() {
        assertThat(format.fields()).containsExactly("baggage");
        assertThat(new W3cBaggageFormat(List.of()).fields()).isEmpty();
        assertThat(new W3cBaggageFormat(null).fields()).isEmpty();
    }

    @Test
    void allowedNamesKeepOrderWithoutDuplicates() {
        assertThat(new W3cBaggageFormat(List.of("b", "a", "b")).allowedNames()).containsExactly("b", "a");
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "user id", "user,id", "user=id", "user;id", "user\"id", "é" })
    void invalidAllowedNameFailsNamingTheKey(String name) {
        assertThatIllegalArgumentException().isThrownBy(() -> new W3cBaggageFormat(List.of(name)))
                .withMessageContaining("'" + name + "' is not a valid W3C baggage key");
    }

    @Test
    void extractsAllowedMembers() {
        assertThat(extract("userId=alice,tenant=acme")).containsExactly(Map.entry("userId", "alice"),
                Map.entry("tenant", "acme"));
    }

    @Test
    void disallowedNamesAreDropped() {
        assertThat(extract("secret=x,userId=alice,userid=bob,USERID=carol")).containsExactly(
                Map.entry("userId", "alice"));
    }

    @Test
    void nothingAllowedIsNull() {
        assertThat(extract("secret=x")).isNull();
        assertThat(format.extract(new HashMap<String, String>(), getter)).isNull();
    }

    @Test
    void noAllowedNamesExtractsAndInjectsNothing() {
        W3cBaggageFormat none = new W3cBaggageFormat(List.of());
        carrier.put("baggage", "userId=alice");

        assertThat(none.extract(carrier, getter)).isNull();
        carrier.clear();
        none.inject(baggage("userId", "alice"), carrier, setter);
        assertThat(carrier).isEmpty();
    }

    @Test
    void whitespaceIsTrimmedAndPropertiesIgnored() {
        assertThat(extract(" userId \t= alice ; prop1 = x;prop2 , tenant=acme;p")).containsExactly(
                Map.entry("userId", "alice"), Map.entry("tenant", "acme"));
    }

    @Test
    void valuesArePercentDecoded() {
        assertThat(extract("userId=a%20b%2Cc%25d%3Be,tenant=J%C3%BCrgen%20%F0%9F%98%80,region=%e2%82%ac"))
                .containsExactly(Map.entry("userId", "a b,c%d;e"), Map.entry("tenant", "Jürgen 😀"),
                        Map.entry("region", "€"));
    }

    @Test
    void malformedPercentSequencesAreKeptAndInvalidUtf8Replaced() {
        assertThat(extract("userId=100%,tenant=%zz%4,region=%FF")).containsExactly(Map.entry("userId", "100%"),
                Map.entry("tenant", "%zz%4"), Map.entry("region", "\uFFFD"));
    }

    @Test
    void emptyValueIsKept() {
        assertThat(extract("userId=,tenant=acme")).containsExactly(Map.entry("userId", ""),
                Map.entry("tenant", "acme"));
    }

    @Test
    void invalidMembersAreSkippedOthersKept() {
        assertThat(extract("userId,tenant=a b,region=\"x\",=1,,userId=alice")).containsExactly(
                Map.entry("userId", "alice"));
    }

    @Test
    void laterDuplicateWins() {
        assertThat(extract("userId=alice,userId=bob")).containsExactly(Map.entry("userId", "bob"));
    }

    @Test
    void repeatedHeadersAreCombined() {
        Map<String, List<String>> headers = new HashMap<>();
        headers.put("baggage", List.of("userId=alice", "tenant=acme;p=1"));

        BaggageFields fields = format.extract(headers, MultiValueGetter.INSTANCE);

        assertThat(fields.asMap()).containsExactly(Map.entry("userId", "alice"), Map.entry("tenant", "acme"));
    }

    @Test
    void membersBeyond64AreIgnored() {
        StringBuilder header = new StringBuilder();
        for (int i = 0; i < 63; i++) {
            header.append("k").append(i).append("=v,");
        }
        assertThat(extract(header + "userId=alice")).containsExactly(Map.entry("userId", "alice"));
        assertThat(extract(header + "x=1,userId=alice")).isNull();
        assertThat(extract("tenant=acme," + header + "userId=alice")).containsExactly(Map.entry("tenant", "acme"));
    }

    @Test
    void membersBeyond64AcrossHeadersAreIgnored() {
        List<String> values = new ArrayList<>();
        values.add("tenant=acme");
        for (int i = 0; i < 63; i++) {
            values.add("k" + i + "=v");
        }
        values.add("userId=alice");
        Map<String, List<String>> headers = Map.of("baggage", values);

        BaggageFields fields = format.extract(headers, MultiValueGetter.INSTANCE);

        assertThat(fields.asMap()).containsExactly(Map.entry("tenant", "acme"));
    }

    @Test
    void membersEndingBeyond8192BytesAreIgnored() {
        String filler = "filler=" + "x".repeat(8192 - "filler=".length() - "userId=alice".length() - 1) + ",";
        assertThat(filler.length() + "userId=alice".length()).isEqualTo(8192);

        assertThat(extract(filler + "userId=alice")).containsExactly(Map.entry("userId", "alice"));
        assertThat(extract("x" + filler + "userId=alice")).isNull();
        assertThat(extract("tenant=acme," + filler + "userId=alice,region=eu")).containsExactly(
                Map.entry("tenant", "acme"));
    }

    @Test
    void injectWritesAllowedEntriesInConfiguredOrder() {
        format.inject(baggage("region", "eu", "secret", "x", "userId", "alice"), carrier, setter);

        assertThat(carrier).containsOnly(Map.entry("baggage", "userId=alice,region=eu"));
    }

    @Test
    void injectEncodesValues() {
        format.inject(baggage("userId", "a b,c%d;e\"f\\g", "tenant", "Jürgen 😀", "region", "x=y/z"), carrier,
                setter);

        assertThat(carrier.get("baggage")).isEqualTo(
                "userId=a%20b%2Cc%25d%3Be%22f%5Cg,tenant=J%C3%BCrgen%20%F0%9F%98%80,region=x=y/z");
    }

    @Test
    void injectEncodesLoneSurrogateAsReplacementCharacter() {
        format.inject(baggage("userId", "a\uD800b"), carrier, setter);

        assertThat(carrier.get("baggage")).isEqualTo("userId=a%EF%BF%BDb");
    }

    @Test
    void injectNothingWithoutAllowedEntries() {
        format.inject(baggage("secret", "x"), carrier, setter);
        format.inject(BaggageFields.empty(), carrier, setter);
        format.inject(null, carrier, setter);

        assertThat(carrier).isEmpty();
    }

    @Test
    void injectStopsBefore8192Bytes() {
        String big = "x".repeat(8192 - "userId=".length());
        format.inject(baggage("userId", big, "tenant", "acme"), carrier, setter);
        assertThat(carrier.get("baggage")).hasSize(8192).startsWith("userId=xxx");

        carrier.clear();
        format.inject(baggage("userId", "alice", "tenant", "y".repeat(8192), "region", "eu"), carrier, setter);
        assertThat(carrier.get("baggage")).isEqualTo("userId=alice");

        carrier.clear();
        format.inject(baggage("userId", big + "x"), carrier, setter);
        assertThat(carrier).isEmpty();
    }

    @Test
    void injectStopsAt64Members() {
        List<String> names = new ArrayList<>();
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < 70; i++) {
            names.add("k" + i);
            values.put("k" + i, "v");
        }
        W3cBaggageFormat many = new W3cBaggageFormat(names);

        many.inject(BaggageFields.of(values), carrier, setter);

        String header = carrier.get("baggage");
        assertThat(header.split(",")).hasSize(64);
        assertThat(header).endsWith("k63=v");
    }

    @Test
    void roundTrip() {
        BaggageFields original = baggage("userId", "alice smith, jr.", "tenant", "100% €uro; \"quoted\" \\",
                "region", "");

        format.inject(original, carrier, setter);
        BaggageFields extracted = format.extract(carrier, getter);

        assertThat(extracted.asMap()).isEqualTo(original.asMap());
    }
}
