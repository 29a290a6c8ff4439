package dev.tracing.propagation;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.tracing.core.BaggageFields;
import io.micrometer.tracing.propagation.Propagator;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EntryHeaderBaggageFormatTests {

    final EntryHeaderBaggageFormat format = EntryHeaderBaggageFormat.jaeger(List.of("userId", "tenant"));

    final Map<String, String> carrier = new HashMap<>();

    final Propagator.Getter<Map<String, String>> getter = (c, k) -> c.get(k);

    final Propagator.Setter<Map<String, String>> setter = (c, k, v) -> c.put(k, v);

    @Test
    void fieldsAreTheLowerCaseHeaderOfEachAllowedName() {
        assertThat(format.fields()).containsExactly("uberctx-userid", "uberctx-tenant");
        assertThat(EntryHeaderBaggageFormat.jaeger(List.of()).fields()).isEmpty();
    }

    @Test
    void extractKeepsOnlyAllowedNamesUnderTheirConfiguredSpelling() {
        carrier.put("uberctx-userid", "alice");
        carrier.put("uberctx-tenant", " acme ");
        carrier.put("uberctx-secret", "x");

        BaggageFields baggage = format.extract(carrier, getter);

        assertThat(baggage.asMap()).containsExactly(Map.entry("userId", "alice"), Map.entry("tenant", "acme"));
    }

    @Test
    void extractWithoutAllowedHeadersIsNull() {
        carrier.put("uberctx-secret", "x");
        carrier.put("baggage", "tenant=acme");

        assertThat(format.extract(carrier, getter)).isNull();
        assertThat(EntryHeaderBaggageFormat.jaeger(List.of()).extract(carrier, getter)).isNull();
    }

    @Test
    void valuesArePercentDecodedAndAPlusIsKept() {
        carrier.put("uberctx-tenant", "acme%20corp%2C%20%E2%82%AC+1%zz");

        assertThat(format.extract(carrier, getter).get("tenant")).isEqualTo("acme corp, \u20ac+1%zz");
    }

    @Test
    void aValueOutsidePrintableAsciiIsSkipped() {
        carrier.put("uberctx-tenant", "acme\r\nx-forged: 1");
        carrier.put("uberctx-userid", "caf\u00e9");

        assertThat(format.extract(carrier, getter)).isNull();
    }

    @Test
    void injectWritesOneHeaderPerAllowedEntryEncoded() {
        format.inject(BaggageFields.of(Map.of("userId", "alice smith", "tenant", "acme,\u20ac", "secret", "x")),
                carrier, setter);

        assertThat(carrier).containsOnly(Map.entry("uberctx-userid", "alice%20smith"),
                Map.entry("uberctx-tenant", "acme%2C%E2%82%AC"));
    }

    @Test
    void namedHeadersAreWrittenWithoutTheWhitespaceAroundAValueAndABlankValueIsNotWritten() {
        // a caller's "tenant=%20acme" in W3C baggage decodes to " acme": Netty refuses a header value that
        // starts with whitespace, which would fail the application's call
        EntryHeaderBaggageFormat named = EntryHeaderBaggageFormat.named(List.of("tenant", "userId", "region"));
        named.inject(BaggageFields.of(Map.of("tenant", " acme\t", "userId", " \t ", "region", "eu west")), carrier,
                setter);

        assertThat(carrier).containsOnly(Map.entry("tenant", "acme"), Map.entry("region", "eu west"));
    }

    @Test
    void roundTrip() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("userId", "alice smith; 100% \"sure\"");
        values.put("tenant", "acme\u20ac");

        format.inject(BaggageFields.of(values), carrier, setter);

        assertThat(format.extract(carrier, getter).asMap()).isEqualTo(values);
    }

    @Test
    void atMost8192CharactersAreReadOrWritten() {
        String big = "x".repeat(8000);
        format.inject(BaggageFields.of(Map.of("userId", big, "tenant", "acme-corp-" + "y".repeat(300))), carrier,
                setter);
        assertThat(carrier).containsOnlyKeys("uberctx-userid");

        carrier.put("uberctx-tenant", "y".repeat(300));
        assertThat(format.extract(carrier, getter).asMap()).containsOnlyKeys("userId");
    }

    @Test
    void namedHeadersCarryTheValueAsItIs() {
        EntryHeaderBaggageFormat named = EntryHeaderBaggageFormat.named(List.of("userId", "tenant"));
        assertThat(named.fields()).containsExactly("userid", "tenant");

        named.inject(BaggageFields.of(Map.of("userId", "alice smith", "tenant", "acme\u20ac", "secret", "x")), carrier,
                setter);
        // what no header can hold is not written
        assertThat(carrier).containsOnly(Map.entry("userid", "alice smith"));

        // a name gRPC would refuse as a metadata key has no header of its own
        assertThat(EntryHeaderBaggageFormat.named(List.of("x+y", "tenant")).fields()).containsExactly("tenant");

        carrier.put("tenant", " 100%20 sure ");
        assertThat(named.extract(carrier, getter).asMap())
            .containsExactly(Map.entry("userId", "alice smith"), Map.entry("tenant", "100%20 sure"));
    }

}
