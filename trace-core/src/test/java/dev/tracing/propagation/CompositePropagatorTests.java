package dev.tracing.propagation;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.tracing.core.BaggageFields;
import dev.tracing.core.MdcScopeDecorator;
import dev.tracing.core.SpanContext;
import dev.tracing.core.ThreadLocalCurrentTraceContext;
import dev.tracing.core.Tracing;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import io.micrometer.tracing.test.simple.SimpleTraceContext;
import io.micrometer.tracing.test.simple.SimpleTracer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.MDC;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class CompositePropagatorTests {

    static final String W3C_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    static final String W3C_SPAN_ID = "00f067aa0ba902b7";

    static final String TRACEPARENT = "00-" + W3C_TRACE_ID + "-" + W3C_SPAN_ID + "-01";

    static final String B3_TRACE_ID = "80f198ee56343ba864fe8b2a57d3eff7";

    static final String B3_SPAN_ID = "e457b5a2e4d86bd1";

    final SimpleTracer tracer = new SimpleTracer();

    final W3cBaggageFormat baggage = new W3cBaggageFormat(List.of("userId", "tenant"));

    final CompositePropagator propagator = new CompositePropagator(tracer,
            List.of(W3cTraceContextFormat.INSTANCE, B3SingleFormat.INSTANCE, B3MultiFormat.INSTANCE),
            List.of(W3cTraceContextFormat.INSTANCE, B3SingleFormat.INSTANCE, B3MultiFormat.INSTANCE), baggage);

    final Map<String, String> carrier = new HashMap<>();

    final Propagator.Getter<Map<String, String>> getter = (c, k) -> c.get(k);

    final Propagator.Setter<Map<String, String>> setter = (c, k, v) -> c.put(k, v);

    Span startExtracted() {
        return propagator.extract(carrier, getter).start();
    }

    static void assertFreshRoot(Span span) {
        assertThat(span.context().parentId()).isNullOrEmpty();
        assertThat(span.context().traceId()).isNotEqualTo(W3C_TRACE_ID).isNotEqualTo(B3_TRACE_ID);
    }

    @Test
    void fieldsAreProducedFormatsThenBaggageWithoutDuplicates() {
        CompositePropagator twice = new CompositePropagator(tracer, List.of(),
                List.of(B3SingleFormat.INSTANCE, W3cTraceContextFormat.INSTANCE, B3SingleFormat.INSTANCE), baggage);

        assertThat(twice.fields()).containsExactly("b3", "traceparent", "tracestate", "baggage");
        assertThat(propagator.fields()).containsExactly("traceparent", "tracestate", "b3", "x-b3-traceid",
                "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags", "baggage");
    }

    @Test
    void fieldsWithoutBaggageNames() {
        CompositePropagator noBaggage = new CompositePropagator(tracer, List.of(W3cTraceContextFormat.INSTANCE),
                List.of(W3cTraceContextFormat.INSTANCE), null);

        assertThat(noBaggage.fields()).containsExactly("traceparent", "tracestate");
    }

    @Test
    void extractedContextIsTheParent() {
        carrier.put("traceparent", TRACEPARENT);

        Span span = startExtracted();

        assertThat(span.context().traceId()).isEqualTo(W3C_TRACE_ID);
        assertThat(span.context().parentId()).isEqualTo(W3C_SPAN_ID);
        assertThat(span.context().sampled()).isTrue();
    }

    @Test
    void w3cWinsOverB3WhenConsumedFirst() {
        carrier.put("traceparent", TRACEPARENT);
        carrier.put("b3", B3_TRACE_ID + "-" + B3_SPAN_ID + "-0");

        Span span = startExtracted();

        assertThat(span.context().traceId()).isEqualTo(W3C_TRACE_ID);
        assertThat(span.context().parentId()).isEqualTo(W3C_SPAN_ID);
    }

    @Test
    void b3WinsWhenConsumedFirst() {
        CompositePropagator b3First = new CompositePropagator(tracer,
                List.of(B3SingleFormat.INSTANCE, W3cTraceContextFormat.INSTANCE), List.of(), baggage);
        carrier.put("traceparent", TRACEPARENT);
        carrier.put("b3", B3_TRACE_ID + "-" + B3_SPAN_ID + "-0");

        Span span = b3First.extract(carrier, getter).start();

        assertThat(span.context().traceId()).isEqualTo(B3_TRACE_ID);
        assertThat(span.context().sampled()).isFalse();
    }

    @Test
    void fallsBackToTheNextFormatWhenTheFirstIsMalformed() {
        carrier.put("traceparent", "00-" + W3C_TRACE_ID + "-" + W3C_SPAN_ID + "-0");
        carrier.put("x-b3-traceid", B3_TRACE_ID);
        carrier.put("x-b3-spanid", B3_SPAN_ID);

        Span span = startExtracted();

        assertThat(span.context().traceId()).isEqualTo(B3_TRACE_ID);
        assertThat(span.context().parentId()).isEqualTo(B3_SPAN_ID);
    }

    @Test
    void formatNotConsumedIsIgnored() {
        CompositePropagator w3cOnly = new CompositePropagator(tracer, List.of(W3cTraceContextFormat.INSTANCE),
                List.of(W3cTraceContextFormat.INSTANCE), baggage);
        carrier.put("b3", B3_TRACE_ID + "-" + B3_SPAN_ID + "-1");

        assertFreshRoot(w3cOnly.extract(carrier, getter).start());
    }

    @Test
    void malformedHeadersGiveAFreshRoot() {
        carrier.put("traceparent", "ff-" + W3C_TRACE_ID + "-" + W3C_SPAN_ID + "-01");
        carrier.put("b3", "garbage");
        carrier.put("x-b3-traceid", "nothex");
        carrier.put("x-b3-spanid", B3_SPAN_ID);
        carrier.put("baggage", "userId=alice");

        assertFreshRoot(startExtracted());
        // the allowed baggage survives on a context with no ids: the fresh trace starts with it
        SpanContext extracted = propagator.extractContext(carrier, getter);
        assertThat(extracted.isSamplingFlagsOnly()).isTrue();
        assertThat(extracted.sampled()).isNull();
    }

    @Test
    void emptyCarrierGivesAFreshRoot() {
        assertFreshRoot(startExtracted());
    }

    @Test
    void nullCarrierOrGetterGivesAFreshRoot() {
        assertFreshRoot(propagator.extract(null, getter).start());
        assertFreshRoot(propagator.extract(carrier, null).start());
    }

    @Test
    void throwingGetterDoesNotEscape() {
        Propagator.Getter<Map<String, String>> throwing = (c, k) -> {
            throw new IllegalStateException("broken carrier");
        };

        Span span = propagator.extract(carrier, throwing).start();

        assertFreshRoot(span);
        // three trace context formats and the baggage format each asked the getter once
        assertThat(propagator.failureCount()).isEqualTo(4);
    }

    @Test
    void getterThrowingForOneFormatStillLetsTheNextOneWork() {
        carrier.put("b3", B3_TRACE_ID + "-" + B3_SPAN_ID + "-1");
        Propagator.Getter<Map<String, String>> getter = new Propagator.Getter<>() {
            @Override
            public String get(Map<String, String> c, String key) {
                return c.get(key);
            }

            @Override
            public Iterable<String> getAll(Map<String, String> c, String key) {
                throw new UnsupportedOperationException("no getAll");
            }
        };

        Span span = propagator.extract(carrier, getter).start();

        assertThat(span.context().traceId()).isEqualTo(B3_TRACE_ID);
        assertThat(propagator.failureCount()).isEqualTo(2); // traceparent and baggage
    }

    @Test
    void baggageIsAttachedToTheExtractedContext() {
        carrier.put("traceparent", TRACEPARENT);
        carrier.put("tracestate", "rojo=1");
        carrier.put("baggage", "userId=alice,secret=x");

        SpanContext context = propagator.extractContext(carrier, getter);

        assertThat(context.traceId()).isEqualTo(W3C_TRACE_ID);
        assertThat(context.traceState()).isEqualTo("rojo=1");
        assertThat(context.baggage().asMap()).containsExactly(Map.entry("userId", "alice"));
    }

    @Test
    void samplingOnlyIsAnExtractedContext() {
        CompositePropagator b3 = new CompositePropagator(tracer, List.of(B3SingleFormat.INSTANCE), List.of(),
                baggage);
        carrier.put("b3", "0");
        carrier.put("baggage", "tenant=acme");

        SpanContext context = b3.extractContext(carrier, getter);

        assertThat(context.isSamplingFlagsOnly()).isTrue();
        assertThat(context.sampled()).isFalse();
        assertThat(context.baggage().get("tenant")).isEqualTo("acme");
    }

    @Test
    void injectWritesEveryProducedFormatAndBaggage() {
        SpanContext context = SpanContext.create(0x4bf92f3577b34da6L, 0xa3ce929d0e0e4736L, 0x1L, 0x00f067aa0ba902b7L,
                true, false)
            .withTraceState("rojo=1")
            .withBaggage(BaggageFields.of(Map.of("userId", "alice smith", "secret", "x")));

        propagator.inject(context, carrier, setter);

        assertThat(carrier).containsOnly(Map.entry("traceparent", TRACEPARENT), Map.entry("tracestate", "rojo=1"),
                Map.entry("b3", W3C_TRACE_ID + "-" + W3C_SPAN_ID + "-1"), Map.entry("x-b3-traceid", W3C_TRACE_ID),
                Map.entry("x-b3-spanid", W3C_SPAN_ID), Map.entry("x-b3-parentspanid", "0000000000000001"),
                Map.entry("x-b3-sampled", "1"), Map.entry("baggage", "userId=alice%20smith"),
                Map.entry("userid", "alice smith"));
    }

    @Test
    void eachAllowedEntryAlsoTravelsInAHeaderOfItsName() {
        // as Brave's and OpenTelemetry's remote fields, and as a gateway sets them, with or without trace headers
        carrier.put("tenant", " acme corp ");
        carrier.put("secret", "x");
        assertThat(propagator.extractContext(carrier, getter).baggage().asMap())
            .containsOnly(Map.entry("tenant", "acme corp"));

        carrier.put("traceparent", TRACEPARENT);
        carrier.put("userid", "from-header");
        carrier.put("baggage", "userId=from-w3c");
        SpanContext extracted = propagator.extractContext(carrier, getter);
        assertThat(extracted.traceId()).isEqualTo(W3C_TRACE_ID);
        // W3C's value wins where both name an entry
        assertThat(extracted.baggage().asMap())
            .containsOnly(Map.entry("userId", "from-w3c"), Map.entry("tenant", "acme corp"));

        Map<String, String> out = new HashMap<>();
        propagator.inject(extracted, out, setter);
        assertThat(out).containsEntry("userid", "from-w3c").containsEntry("tenant", "acme corp")
            .containsEntry("baggage", "userId=from-w3c,tenant=acme%20corp")
            .doesNotContainKey("secret");
    }

    @Test
    void anEntryHeaderWinsOverJaegersAndAValueNoHeaderCanHoldIsNotWritten() {
        CompositePropagator consumesJaeger = CompositePropagator.builder(tracer)
            .consume(List.of(PropagationType.W3C, PropagationType.JAEGER))
            .remoteFields(List.of("userId", "tenant"))
            .build();
        carrier.put("uberctx-tenant", "from-jaeger");
        carrier.put("tenant", "from-header");
        carrier.put("userid", "forged\r\nx-admin: 1");
        assertThat(consumesJaeger.extractContext(carrier, getter).baggage().asMap())
            .containsOnly(Map.entry("tenant", "from-header"));

        Map<String, String> out = new HashMap<>();
        propagator.inject(SpanContext.create(0L, 1L, 0L, 2L, true, false)
            .withBaggage(BaggageFields.of(Map.of("tenant", "caf\u00e9"))), out, setter);
        assertThat(out).containsEntry("baggage", "tenant=caf%C3%A9").doesNotContainKey("tenant");
    }

    @ParameterizedTest
    @ValueSource(strings = { "traceparent", "B3", "baggage", "X-B3-TraceId", "uberctx-tenant", "uber-trace-id" })
    void aRemoteFieldCannotBeNamedAsATraceHeader(String name) {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> CompositePropagator.builder(tracer).remoteFields(List.of("tenant", name)))
            .withMessage("'" + name + "' is a trace header's name: a baggage entry of that name would be sent in its place");
    }

    @Test
    void injectOnlyTheProducedFormats() {
        CompositePropagator b3Only = new CompositePropagator(tracer, List.of(), List.of(B3SingleFormat.INSTANCE),
                baggage);

        b3Only.inject(SpanContext.create(0L, 1L, 0L, 2L, true, false), carrier, setter);

        assertThat(carrier).containsOnly(Map.entry("b3", "0000000000000001-0000000000000002-1"));
    }

    @Test
    void injectConvertsAForeignContext() {
        SimpleTraceContext foreign = new SimpleTraceContext();
        foreign.setTraceId(W3C_TRACE_ID);
        foreign.setSpanId(W3C_SPAN_ID);
        foreign.setSampled(true);
        CompositePropagator w3c = new CompositePropagator(tracer, List.of(), List.of(W3cTraceContextFormat.INSTANCE),
                baggage);

        w3c.inject(foreign, carrier, setter);

        assertThat(carrier).containsOnly(Map.entry("traceparent", TRACEPARENT));
    }

    @Test
    void injectOfAnInvalidOrNullContextWritesNothing() {
        SimpleTraceContext invalid = new SimpleTraceContext();
        invalid.setTraceId("not-hex");
        invalid.setSpanId(W3C_SPAN_ID);

        propagator.inject(invalid, carrier, setter);
        propagator.inject(null, carrier, setter);
        propagator.inject(TraceContext.NOOP, carrier, setter);

        assertThat(carrier).isEmpty();
    }

    @Test
    void throwingSetterDoesNotEscapeAndOtherFormatsStillWrite() {
        Propagator.Setter<Map<String, String>> failingOnB3 = (c, k, v) -> {
            if (k.equals("b3")) {
                throw new IllegalStateException("read-only header");
            }
            c.put(k, v);
        };

        propagator.inject(SpanContext.create(0L, 1L, 0L, 2L, true, false), carrier, failingOnB3);

        assertThat(carrier).containsKeys("traceparent", "x-b3-traceid").doesNotContainKey("b3");
        assertThat(propagator.failureCount()).isEqualTo(1);
    }

    @Test
    void jaegerIsReadAndWrittenWithItsBaggageHeadersForAllowedNamesOnly() {
        CompositePropagator jaeger = CompositePropagator.builder(tracer)
            .consume(List.of(PropagationType.JAEGER))
            .produce(List.of(PropagationType.JAEGER))
            .remoteFields(List.of("userId", "tenant"))
            .build();
        carrier.put("uber-trace-id", B3_TRACE_ID + ":" + B3_SPAN_ID + ":0:1");
        carrier.put("uberctx-userid", "alice%20smith");
        carrier.put("uberctx-secret", "x");

        SpanContext extracted = jaeger.extractContext(carrier, getter);
        Map<String, String> out = new HashMap<>();
        jaeger.inject(extracted, out, setter);

        assertThat(jaeger.fields()).containsExactly("uber-trace-id", "baggage", "uberctx-userid", "uberctx-tenant");
        assertThat(extracted.traceId()).isEqualTo(B3_TRACE_ID);
        assertThat(extracted.spanId()).isEqualTo(B3_SPAN_ID);
        assertThat(extracted.baggage().asMap()).containsOnly(Map.entry("userId", "alice smith"));
        assertThat(out).containsOnly(Map.entry("uber-trace-id", B3_TRACE_ID + ":" + B3_SPAN_ID + ":0:1"),
                Map.entry("baggage", "userId=alice%20smith"), Map.entry("userid", "alice smith"),
                Map.entry("uberctx-userid", "alice%20smith"));
    }

    @Test
    void jaegerBaggageIsReadOnlyWhenJaegerIsConsumedAndW3cWinsOverIt() {
        carrier.put("traceparent", TRACEPARENT);
        carrier.put("uberctx-userid", "from-jaeger");
        carrier.put("uberctx-tenant", "acme");
        carrier.put("baggage", "userId=from-w3c");
        CompositePropagator consumesJaeger = CompositePropagator.builder(tracer)
            .consume(List.of(PropagationType.W3C, PropagationType.JAEGER))
            .remoteFields(List.of("userId", "tenant"))
            .build();

        assertThat(consumesJaeger.extractContext(carrier, getter).baggage().asMap())
            .containsOnly(Map.entry("userId", "from-w3c"), Map.entry("tenant", "acme"));
        assertThat(propagator.extractContext(carrier, getter).baggage().asMap())
            .containsOnly(Map.entry("userId", "from-w3c"));
        // read, but not written: no uberctx- fields
        assertThat(consumesJaeger.fields()).containsExactly("traceparent", "tracestate", "baggage");
    }

    @Test
    void malformedUberTraceIdStartsAFreshTraceKeepingTheAllowedBaggage() {
        CompositePropagator jaeger = CompositePropagator.builder(tracer)
            .consume(List.of(PropagationType.JAEGER))
            .remoteFields(List.of("tenant"))
            .build();
        carrier.put("uber-trace-id", B3_TRACE_ID.toUpperCase() + ":" + B3_SPAN_ID + ":0:1");
        carrier.put("uberctx-tenant", "acme");

        Span span = jaeger.extract(carrier, getter).start();

        assertFreshRoot(span);
        assertThat(jaeger.extractContext(carrier, getter).isSamplingFlagsOnly()).isTrue();
    }

    /**
     * A 64-bit trace id from an old B3 caller is logged, and passed on in B3, as the 16 characters
     * the caller logs; W3C, which needs 32, gets it padded. A 128-bit id is unchanged everywhere.
     */
    @ParameterizedTest
    @ValueSource(strings = { "463ac35c9f6413ad", "463ac35c9f6413ad48485a3953bb6124" })
    void traceIdKeepsTheWidthItArrivedWithInTheMdcAndInB3(String callerTraceId) {
        Tracer ours = Tracing.newBuilder()
            .currentTraceContext(new ThreadLocalCurrentTraceContext(List.of(new MdcScopeDecorator(List.of()))))
            .build();
        CompositePropagator b3In = CompositePropagator.builder(ours)
            .consume(List.of(PropagationType.B3_MULTI))
            .produce(List.of(PropagationType.W3C, PropagationType.B3, PropagationType.B3_MULTI))
            .build();
        Map<String, String> incoming = Map.of("x-b3-traceid", callerTraceId, "x-b3-spanid", B3_SPAN_ID,
                "x-b3-sampled", "1");
        String padded = callerTraceId.length() == 16 ? "0000000000000000" + callerTraceId : callerTraceId;

        Span server = b3In.extract(incoming, Map::get).start();
        try (Tracer.SpanInScope scope = ours.withSpan(server)) {
            assertThat(MDC.get("traceId")).isEqualTo(callerTraceId);
            Span child = ours.nextSpan().start();
            String childSpanId = child.context().spanId();
            b3In.inject(child.context(), carrier, setter);
            child.end();

            assertThat(child.context().traceId()).isEqualTo(callerTraceId);
            assertThat(carrier).containsEntry("x-b3-traceid", callerTraceId)
                .containsEntry("b3", callerTraceId + "-" + childSpanId + "-1")
                .containsEntry("traceparent", "00-" + padded + "-" + childSpanId + "-01");
        }
        finally {
            server.end();
            MDC.clear();
        }
    }

    @Test
    void aTraceStartedHereIs128Bit() {
        Tracer ours = Tracing.newBuilder().build();
        for (int i = 0; i < 100; i++) {
            Span root = ours.nextSpan().start();
            assertThat(root.context().traceId()).hasSize(32);
            assertThat(((SpanContext) root.context()).isTraceId64Bit()).isFalse();
            root.end();
        }
    }

    @Test
    void roundTripThroughInjectAndExtract() {
        SpanContext original = SpanContext.create(0x1111L, 0x2222L, 0L, 0x3333L, false, false)
            .withTraceState("congo=t61rcWkgMzE")
            .withBaggage(BaggageFields.of(Map.of("tenant", "acme, inc. 100%")));
        propagator.inject(original, carrier, setter);

        SpanContext extracted = propagator.extractContext(carrier, getter);
        Span span = propagator.extract(carrier, getter).start();

        assertThat(extracted).isEqualTo(original);
        assertThat(extracted.sampled()).isFalse();
        assertThat(extracted.traceState()).isEqualTo("congo=t61rcWkgMzE");
        assertThat(extracted.baggage().asMap()).isEqualTo(Map.of("tenant", "acme, inc. 100%"));
        assertThat(span.context().traceId()).isEqualTo(original.traceId());
        assertThat(span.context().parentId()).isEqualTo(original.spanId());
    }

    @Test
    void builderDefaults() {
        assertThat(CompositePropagator.DEFAULT_PRODUCE).containsExactly(PropagationType.W3C);
        assertThat(CompositePropagator.DEFAULT_CONSUME).containsExactly(PropagationType.W3C, PropagationType.B3,
                PropagationType.B3_MULTI);
        // W3C written, no baggage
        assertThat(CompositePropagator.builder(tracer).build().fields()).containsExactly("traceparent", "tracestate");
        carrier.put("b3", B3_TRACE_ID + "-" + B3_SPAN_ID + "-1");
        // B3 read
        assertThat(CompositePropagator.builder(tracer).build().extract(carrier, getter).start().context().traceId())
            .isEqualTo(B3_TRACE_ID);
    }

    @Test
    void theBuilderNeedsAFormatEachWayAndValidBaggageKeys() {
        assertThatIllegalArgumentException().isThrownBy(() -> CompositePropagator.builder(tracer).produce(List.of()))
            .withMessage("must name at least one of w3c, b3, b3-multi, jaeger");
        assertThatIllegalArgumentException().isThrownBy(() -> CompositePropagator.builder(tracer).consume(null))
            .withMessage("must name at least one of w3c, b3, b3-multi, jaeger");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> CompositePropagator.builder(tracer).remoteFields(List.of("user id")))
            .withMessageContaining("'user id' is not a valid W3C baggage key");
        assertThat(CompositePropagator.builder(tracer)
            .produce(List.of(PropagationType.B3, PropagationType.B3))
            .remoteFields(List.of("tenant"))
            .build()
            .fields()).containsExactly("b3", "baggage");
    }
}
