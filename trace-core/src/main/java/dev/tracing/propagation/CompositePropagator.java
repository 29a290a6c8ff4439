package dev.tracing.propagation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

import dev.tracing.core.BaggageFields;
import dev.tracing.core.SpanContext;
import dev.tracing.internal.TraceHeaderNames;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Propagator} of this tracer: reads the first context found among the consumed
 * formats, writes every produced format, and carries the allowed baggage in W3C {@code baggage},
 * in a header named as each entry ({@code tenant: acme}, as Brave and OpenTelemetry carry remote
 * baggage fields, and as a gateway sets them), and in Jaeger's {@code uberctx-} headers, read when
 * Jaeger is consumed, written when produced.
 *
 * <p>On extract, the consumed formats are tried in the configured order and the first that yields
 * a context (with ids or only a sampling decision) wins; the allowed baggage is attached to it.
 * Without a context the result is a builder for a new trace, and any baggage received alone is
 * kept on a context that carries no ids and no sampling decision, so the new trace starts with it.
 * Where W3C {@code baggage} and an entry's own header name an entry, the W3C value wins, and
 * either wins over a {@code uberctx-} header.
 * The W3C {@code baggage} header is written whichever trace formats are produced, so a service
 * that produces only Jaeger still passes its baggage to W3C peers.
 *
 * <p>Design notes: propagation runs inside the application's request path and must never fail
 * it. A getter, setter or format that throws is treated as "nothing extracted" for that format
 * (the next one is still tried) or "nothing written", the failure is counted, and only the first
 * one is logged, at debug, so a misbehaving carrier cannot flood the log. The formats are kept in
 * arrays so the per-request loops allocate nothing. The entries' own headers are not among
 * {@link #fields()}: the clients remove those before writing, and an application's own header of
 * that name (set on a request whose context has no such entry) is its own to send.
 */
public final class CompositePropagator implements Propagator {

    /** The formats read by a propagator built without a choice: W3C, then B3 single, then B3 multi. */
    public static final List<PropagationType> DEFAULT_CONSUME = List.of(PropagationType.W3C, PropagationType.B3,
            PropagationType.B3_MULTI);

    /** The formats written by a propagator built without a choice: W3C. */
    public static final List<PropagationType> DEFAULT_PRODUCE = List.of(PropagationType.W3C);

    private static final Logger logger = LoggerFactory.getLogger(CompositePropagator.class);

    private final Tracer tracer;

    private final TraceContextFormat[] consume;

    private final TraceContextFormat[] produce;

    private final W3cBaggageFormat baggageFormat;

    /** A header per allowed entry, named as the entry. */
    private final EntryHeaderBaggageFormat namedBaggage;

    /** Jaeger's baggage headers, or null when Jaeger is neither consumed nor produced. */
    private final EntryHeaderBaggageFormat jaegerBaggage;

    private final boolean readJaegerBaggage;

    private final boolean writeJaegerBaggage;

    private final List<String> fields;

    private final LongAdder failures = new LongAdder();

    private volatile boolean failureLogged;

    /**
     * Returns a builder with the defaults: {@link #DEFAULT_CONSUME}, {@link #DEFAULT_PRODUCE} and
     * no remote baggage.
     * @param tracer the tracer whose {@link Tracer#spanBuilder()} the extracted builders come from
     */
    public static Builder builder(Tracer tracer) {
        return new Builder(tracer);
    }

    /**
     * Creates a propagator.
     * @param tracer the tracer whose {@link Tracer#spanBuilder()} the extracted builders come from
     * @param consume the formats read on extract, in order of preference
     * @param produce the formats written on inject
     * @param baggageFormat the baggage format; null propagates no baggage
     */
    CompositePropagator(Tracer tracer, List<? extends TraceContextFormat> consume,
            List<? extends TraceContextFormat> produce, W3cBaggageFormat baggageFormat) {
        this.tracer = Objects.requireNonNull(tracer, "tracer");
        this.consume = toArray(consume);
        this.produce = toArray(produce);
        this.baggageFormat = baggageFormat != null ? baggageFormat : new W3cBaggageFormat(Collections.emptyList());
        this.readJaegerBaggage = contains(this.consume, JaegerFormat.INSTANCE);
        this.writeJaegerBaggage = contains(this.produce, JaegerFormat.INSTANCE);
        this.namedBaggage = EntryHeaderBaggageFormat.named(this.baggageFormat.allowedNames());
        this.jaegerBaggage = readJaegerBaggage || writeJaegerBaggage
                ? EntryHeaderBaggageFormat.jaeger(this.baggageFormat.allowedNames()) : null;
        Set<String> names = new LinkedHashSet<>();
        for (TraceContextFormat format : this.produce) {
            names.addAll(format.fields());
        }
        names.addAll(this.baggageFormat.fields());
        if (writeJaegerBaggage) {
            names.addAll(jaegerBaggage.fields());
        }
        this.fields = Collections.unmodifiableList(new ArrayList<>(names));
    }

    private static TraceContextFormat[] toArray(List<? extends TraceContextFormat> formats) {
        List<TraceContextFormat> result = new ArrayList<>();
        if (formats != null) {
            for (TraceContextFormat format : formats) {
                if (format != null && !result.contains(format)) {
                    result.add(format);
                }
            }
        }
        return result.toArray(new TraceContextFormat[0]);
    }

    private static boolean contains(TraceContextFormat[] formats, TraceContextFormat format) {
        for (TraceContextFormat candidate : formats) {
            if (candidate == format) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns the fields of the produced formats, then {@code baggage} if any name is allowed, then
     * the {@code uberctx-} header of each allowed name when Jaeger is produced.
     */
    @Override
    public List<String> fields() {
        return fields;
    }

    /**
     * Writes {@code context} in every produced format, then its allowed baggage. Contexts of other
     * tracers are converted; an invalid one (or null) writes nothing.
     */
    @Override
    public <C> void inject(TraceContext context, C carrier, Setter<C> setter) {
        if (carrier == null || setter == null) {
            return;
        }
        SpanContext spanContext;
        try {
            spanContext = SpanContext.from(context);
        }
        catch (RuntimeException ex) {
            failed("converting a trace context", ex);
            return;
        }
        if (spanContext == null) {
            return;
        }
        for (TraceContextFormat format : produce) {
            try {
                format.inject(spanContext, carrier, setter);
            }
            catch (RuntimeException ex) {
                failed("injecting " + format.getClass().getSimpleName(), ex);
            }
        }
        BaggageFields baggage = spanContext.baggage();
        if (baggage != null) {
            try {
                baggageFormat.inject(baggage, carrier, setter);
            }
            catch (RuntimeException ex) {
                failed("injecting baggage", ex);
            }
            try {
                namedBaggage.inject(baggage, carrier, setter);
            }
            catch (RuntimeException ex) {
                failed("injecting baggage headers", ex);
            }
            if (writeJaegerBaggage) {
                try {
                    jaegerBaggage.inject(baggage, carrier, setter);
                }
                catch (RuntimeException ex) {
                    failed("injecting Jaeger baggage", ex);
                }
            }
        }
    }

    /**
     * Returns a builder whose parent is the first context found in the consumed formats, with the
     * allowed baggage attached, or a builder without parent (a new trace) when none is found, the
     * headers are malformed, or the carrier or getter is null. Never throws from the carrier.
     */
    @Override
    public <C> Span.Builder extract(C carrier, Getter<C> getter) {
        SpanContext context = carrier == null || getter == null ? null : extractContext(carrier, getter);
        if (context == null) {
            return tracer.spanBuilder().setNoParent();
        }
        try {
            return tracer.spanBuilder().setParent(context);
        }
        catch (RuntimeException ex) {
            // another tracer's builder may not accept our context type
            failed("continuing the extracted context", ex);
            return tracer.spanBuilder().setNoParent();
        }
    }

    /** Returns the first context of the consumed formats with its baggage, or null. */
    <C> SpanContext extractContext(C carrier, Getter<C> getter) {
        SpanContext context = null;
        for (TraceContextFormat format : consume) {
            try {
                context = format.extract(carrier, getter);
            }
            catch (RuntimeException ex) {
                failed("extracting " + format.getClass().getSimpleName(), ex);
            }
            if (context != null) {
                break;
            }
        }
        try {
            BaggageFields baggage = extractBaggage(carrier, getter);
            if (baggage != null) {
                // baggage without trace headers (e.g. from a gateway) still belongs to the request
                context = (context != null ? context : SpanContext.samplingFlagsOnly(null, false)).withBaggage(baggage);
            }
        }
        catch (RuntimeException ex) {
            failed("extracting baggage", ex);
        }
        return context;
    }

    /**
     * Returns the allowed baggage of W3C {@code baggage}, the entries' own headers and, when Jaeger
     * is consumed, {@code uberctx-}: for a name found in several, W3C's value, then the entry's own
     * header's.
     */
    private <C> BaggageFields extractBaggage(C carrier, Getter<C> getter) {
        BaggageFields w3c = baggageFormat.extract(carrier, getter);
        BaggageFields named = null;
        try {
            named = namedBaggage.extract(carrier, getter);
        }
        catch (RuntimeException ex) {
            failed("extracting baggage headers", ex);
        }
        BaggageFields jaeger = null;
        if (readJaegerBaggage) {
            try {
                jaeger = jaegerBaggage.extract(carrier, getter);
            }
            catch (RuntimeException ex) {
                failed("extracting Jaeger baggage", ex);
            }
        }
        if (named == null && jaeger == null) {
            return w3c;
        }
        if (w3c == null && (named == null || jaeger == null)) {
            return named != null ? named : jaeger;
        }
        Map<String, String> merged = new LinkedHashMap<>();
        for (BaggageFields fields : new BaggageFields[] { jaeger, named, w3c }) {
            if (fields != null) {
                merged.putAll(fields.asMap());
            }
        }
        return BaggageFields.of(merged);
    }

    /** Returns how many times a carrier or format threw and the failure was absorbed. */
    public long failureCount() {
        return failures.sum();
    }

    private void failed(String what, RuntimeException ex) {
        failures.increment();
        if (!failureLogged) {
            failureLogged = true;
            logger.debug("Trace propagation failed {}; further failures are counted, not logged", what, ex);
        }
    }

    @Override
    public String toString() {
        return "CompositePropagator" + fields;
    }

    /** Configures a {@link CompositePropagator}. */
    public static final class Builder {

        private final Tracer tracer;

        private List<PropagationType> consume = DEFAULT_CONSUME;

        private List<PropagationType> produce = DEFAULT_PRODUCE;

        private W3cBaggageFormat baggageFormat = new W3cBaggageFormat(List.of());

        private Builder(Tracer tracer) {
            this.tracer = Objects.requireNonNull(tracer, "tracer");
        }

        /**
         * The formats read on extract, in order of preference; duplicates are ignored.
         * @throws IllegalArgumentException when none is named
         */
        public Builder consume(List<PropagationType> consume) {
            this.consume = atLeastOne(consume);
            return this;
        }

        /**
         * The formats written on inject; duplicates are ignored.
         * @throws IllegalArgumentException when none is named
         */
        public Builder produce(List<PropagationType> produce) {
            this.produce = atLeastOne(produce);
            return this;
        }

        /**
         * The baggage names that cross process boundaries in the W3C {@code baggage} header, in a
         * header of each name (in lower case), and in {@code uberctx-} headers when Jaeger is
         * consumed or produced, matched exactly; every other name stays in the process.
         * @throws IllegalArgumentException when a name is not a valid W3C baggage key, or is the
         * name of a trace header ({@code traceparent}, {@code b3}, {@code baggage}, ...)
         */
        public Builder remoteFields(List<String> remoteFields) {
            W3cBaggageFormat format = new W3cBaggageFormat(remoteFields);
            for (String name : format.allowedNames()) {
                String header = name.toLowerCase(Locale.ROOT);
                if (header.equals(W3cBaggageFormat.BAGGAGE) || header.startsWith(EntryHeaderBaggageFormat.JAEGER_PREFIX)
                        || TraceHeaderNames.CONTEXT.contains(header)) {
                    throw new IllegalArgumentException("'" + name
                            + "' is a trace header's name: a baggage entry of that name would be sent in its place");
                }
            }
            this.baggageFormat = format;
            return this;
        }

        private static List<PropagationType> atLeastOne(List<PropagationType> types) {
            List<PropagationType> named = new ArrayList<>();
            if (types != null) {
                for (PropagationType type : types) {
                    if (type != null && !named.contains(type)) {
                        named.add(type);
                    }
                }
            }
            if (named.isEmpty()) {
                throw new IllegalArgumentException("must name at least one of w3c, b3, b3-multi, jaeger");
            }
            return List.copyOf(named);
        }

        /** Returns the propagator. */
        public CompositePropagator build() {
            return new CompositePropagator(tracer, formats(consume), formats(produce), baggageFormat);
        }

        private static List<TraceContextFormat> formats(List<PropagationType> types) {
            List<TraceContextFormat> formats = new ArrayList<>(types.size());
            for (PropagationType type : types) {
                formats.add(type.format());
            }
            return formats;
        }

    }

}
