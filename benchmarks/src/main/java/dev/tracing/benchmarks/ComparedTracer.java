package dev.tracing.benchmarks;

import java.util.List;

import brave.baggage.BaggageField;
import brave.baggage.BaggagePropagation;
import brave.baggage.BaggagePropagationConfig;
import brave.context.slf4j.MDCScopeDecorator;
import brave.handler.MutableSpan;
import brave.handler.SpanHandler;
import brave.propagation.B3Propagation;
import brave.propagation.TraceContext;
import dev.tracing.core.MdcScopeDecorator;
import dev.tracing.core.Sampler;
import dev.tracing.core.ThreadLocalCurrentTraceContext;
import dev.tracing.core.Tracing;
import dev.tracing.propagation.CompositePropagator;
import dev.tracing.propagation.PropagationType;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.brave.bridge.BraveBaggageManager;
import io.micrometer.tracing.brave.bridge.BraveCurrentTraceContext;
import io.micrometer.tracing.brave.bridge.BravePropagator;
import io.micrometer.tracing.brave.bridge.BraveTracer;
import io.micrometer.tracing.brave.bridge.W3CPropagation;
import io.micrometer.tracing.exporter.SpanReporter;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.micrometer.tracing.otel.bridge.Slf4JBaggageEventListener;
import io.micrometer.tracing.otel.bridge.Slf4JEventListener;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;

/**
 * One of the three tracers the comparison benchmarks run, behind the same Micrometer Tracing
 * API and configured as Spring Boot configures each: thread-local context with trace ids in the
 * MDC, W3C trace context produced, W3C and B3 consumed, three remote baggage fields, and a sink
 * that keeps nothing (the cost measured is the tracer's, not an exporter's).
 *
 * <p>{@link #propagator} consumes W3C and B3 where the tracer can do both in one propagator
 * (ours); the bridges get W3C in {@link #propagator} and B3 in {@link #b3Propagator}, each their
 * library's own format.
 */
final class ComparedTracer {

    static final List<String> REMOTE_FIELDS = List.of("tenant", "region", "user-tier");

    final Tracer tracer;

    final Propagator propagator;

    final Propagator b3Propagator;

    private final AutoCloseable closer;

    private ComparedTracer(Tracer tracer, Propagator propagator, Propagator b3Propagator, AutoCloseable closer) {
        this.tracer = tracer;
        this.propagator = propagator;
        this.b3Propagator = b3Propagator;
        this.closer = closer;
    }

    static ComparedTracer create(String name, boolean sampled) {
        switch (name) {
            case "ours":
                return ours(sampled, span -> {
                });
            case "brave":
                return brave(sampled, new SpanHandler() {
                    @Override
                    public boolean end(TraceContext traceContext, MutableSpan span, Cause cause) {
                        return true;
                    }
                });
            case "otel":
                return otel(sampled, new SpanProcessor() {
                    @Override
                    public void onStart(Context parentContext, ReadWriteSpan span) {
                    }

                    @Override
                    public boolean isStartRequired() {
                        return false;
                    }

                    @Override
                    public void onEnd(ReadableSpan span) {
                    }

                    @Override
                    public boolean isEndRequired() {
                        return true;
                    }
                });
            default:
                throw new IllegalArgumentException(name);
        }
    }

    void close() throws Exception {
        closer.close();
    }

    /** Our tracer reporting finished spans to {@code sink}. */
    static ComparedTracer ours(boolean sampled, SpanReporter sink) {
        Tracer tracer = Tracing.newBuilder()
            .serviceName("bench")
            .sampler(Sampler.create(sampled ? 1.0 : 0.0, 0))
            .currentTraceContext(new ThreadLocalCurrentTraceContext(List.of(new MdcScopeDecorator(List.of()))))
            .reporter(sink)
            .remoteFields(REMOTE_FIELDS)
            .build();
        CompositePropagator propagator = CompositePropagator.builder(tracer)
                .consume(List.of(PropagationType.W3C, PropagationType.B3, PropagationType.B3_MULTI))
                .produce(List.of(PropagationType.W3C))
                .remoteFields(REMOTE_FIELDS)
                .build();
        return new ComparedTracer(tracer, propagator, propagator, () -> {
        });
    }

    /** The Brave bridge ending spans into {@code sink}. */
    static ComparedTracer brave(boolean sampled, SpanHandler sink) {
        BraveBaggageManager baggage = new BraveBaggageManager(List.of(), REMOTE_FIELDS);
        BaggagePropagation.FactoryBuilder w3c = BaggagePropagation.newFactoryBuilder(new W3CPropagation(baggage, List.of()));
        BaggagePropagation.FactoryBuilder b3 = BaggagePropagation.newFactoryBuilder(B3Propagation.FACTORY);
        for (String field : REMOTE_FIELDS) {
            w3c.add(BaggagePropagationConfig.SingleBaggageField.remote(BaggageField.create(field)));
            b3.add(BaggagePropagationConfig.SingleBaggageField.remote(BaggageField.create(field)));
        }
        brave.propagation.ThreadLocalCurrentTraceContext context = brave.propagation.ThreadLocalCurrentTraceContext
            .newBuilder()
            .addScopeDecorator(MDCScopeDecorator.newBuilder().build())
            .build();
        brave.Tracing tracing = brave.Tracing.newBuilder()
            .localServiceName("bench")
            .traceId128Bit(true)
            .supportsJoin(false)
            .sampler(sampled ? brave.sampler.Sampler.ALWAYS_SAMPLE : brave.sampler.Sampler.NEVER_SAMPLE)
            .currentTraceContext(context)
            .propagationFactory(w3c.build())
            .addSpanHandler(sink)
            .build();
        brave.Tracing b3Tracing = brave.Tracing.newBuilder()
            .localServiceName("bench")
            .traceId128Bit(true)
            .supportsJoin(false)
            .currentTraceContext(context)
            .propagationFactory(b3.build())
            .addSpanHandler(sink)
            .build();
        Tracer tracer = new BraveTracer(tracing.tracer(), new BraveCurrentTraceContext(context), baggage);
        return new ComparedTracer(tracer, new BravePropagator(tracing), new BravePropagator(b3Tracing), () -> {
            b3Tracing.close();
            tracing.close();
        });
    }

    /** The OpenTelemetry bridge ending spans into {@code sink}. */
    static ComparedTracer otel(boolean sampled, SpanProcessor sink) {
        SdkTracerProvider provider = SdkTracerProvider.builder()
            .setSampler(io.opentelemetry.sdk.trace.samplers.Sampler.parentBased(
                    io.opentelemetry.sdk.trace.samplers.Sampler.traceIdRatioBased(sampled ? 1.0 : 0.0)))
            .addSpanProcessor(sink)
            .build();
        io.opentelemetry.api.trace.Tracer otelTracer = provider.get("org.springframework.boot", "4.1.0");
        OtelCurrentTraceContext context = new OtelCurrentTraceContext();
        Slf4JEventListener mdc = new Slf4JEventListener();
        Slf4JBaggageEventListener baggageMdc = new Slf4JBaggageEventListener(List.of());
        OtelTracer.EventPublisher publisher = event -> {
            mdc.onEvent(event);
            baggageMdc.onEvent(event);
        };
        Tracer tracer = new OtelTracer(otelTracer, context, publisher,
                new OtelBaggageManager(context, REMOTE_FIELDS, List.of()));
        ContextPropagators w3c = ContextPropagators.create(
                TextMapPropagator.composite(W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance()));
        ContextPropagators b3 = ContextPropagators.create(
                TextMapPropagator.composite(B3Propagator.injectingSingleHeader(), W3CBaggagePropagator.getInstance()));
        return new ComparedTracer(tracer, new OtelPropagator(w3c, otelTracer), new OtelPropagator(b3, otelTracer),
                provider::close);
    }

}
