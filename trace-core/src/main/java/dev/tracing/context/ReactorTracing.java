package dev.tracing.context;

import java.util.Objects;
import java.util.function.Function;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * Helpers for reactive code: read the request's span from a Reactor {@link ContextView}, and
 * wrap part of a chain in a child span.
 *
 * <pre>{@code
 * Mono<Order> order = ReactorTracing.inChildSpan(tracer, "load-order", span -> repository.find(id));
 * Mono<String> id = Mono.deferContextual(ctx -> Mono.just(ReactorTracing.traceContext(ctx).traceId()));
 * }</pre>
 */
public final class ReactorTracing {

    /** Where Micrometer's {@code ObservationThreadLocalAccessor} keeps the Observation in a Reactor Context. */
    private static final String OBSERVATION_KEY = "micrometer.observation";

    private ReactorTracing() {
    }

    /**
     * Returns the trace context in {@code context}, or null when the chain is not traced: the
     * span of an Observation opened inside it ({@code tap(Micrometer.observation(registry))}) when
     * there is one, else the request's. A chain subscribed without the trace in its Context
     * ({@code toFuture()}, {@code subscribe()} where a span was current) has the span of the
     * Observation it carries, if any: a WebClient exchange's Observation takes the span current
     * where the exchange was subscribed.
     */
    public static TraceContext traceContext(ContextView context) {
        Object observation = context.getOrDefault(OBSERVATION_KEY, null);
        TraceContext carried = carried(context);
        if (carried == null) {
            return EnclosedObservation.spanContextOf(observation);
        }
        return EnclosedObservation.innermost(carried, observation);
    }

    /** The trace context under this project's key in {@code context}, or null. */
    private static TraceContext carried(ContextView context) {
        Object value = ObservationLeftOut.unwrap(context.getOrDefault(TraceContextThreadLocalAccessor.KEY, null));
        return value instanceof TraceContext carried ? carried : null;
    }

    /**
     * Returns {@code context} without Micrometer's Observation entry, for a part of a chain that
     * need not carry it and copies its Context often (Reactor Netty's connect): the trace entry
     * stays, as the span the Observation made current ({@link #traceContext} reads it), and with
     * this project's snapshot factory a restore from the returned Context does not clear the
     * thread's Observation when that is the one left out (Reactor's own factory still clears it).
     * Returns {@code context} itself when it has no Observation entry or no trace context.
     */
    public static Context leaveOutObservation(Context context) {
        Object observation = context.getOrDefault(OBSERVATION_KEY, null);
        if (observation == null || carried(context) == null) {
            return context;
        }
        TraceContext trace = traceContext(context);
        if (trace == null) {
            return context;
        }
        return context.delete(OBSERVATION_KEY)
            .put(TraceContextThreadLocalAccessor.KEY, new ObservationLeftOut(trace, observation));
    }

    /**
     * Runs the {@code Mono} made by {@code body} in a new span, a child of the span in the
     * subscriber's Reactor Context (or of the current span), ending it when the {@code Mono}
     * completes, fails or is cancelled. The child is what downstream operators and calls see.
     */
    public static <T> Mono<T> inChildSpan(Tracer tracer, String name, Function<Span, Mono<T>> body) {
        return Mono.deferContextual(context -> {
            Span span = startChild(tracer, name, context);
            Mono<T> mono;
            try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
                mono = Objects.requireNonNull(body.apply(span), "the body returned no Mono");
            }
            catch (Throwable ex) {
                return Mono.error(failed(span, ex));
            }
            return mono.doOnError(span::error)
                .doFinally(signal -> span.end())
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, span.context()));
        });
    }

    /**
     * Runs the {@code Flux} made by {@code body} in a new span, as {@link #inChildSpan} runs a
     * {@code Mono}: ended when the {@code Flux} completes, fails or is cancelled.
     */
    public static <T> Flux<T> inChildSpanFlux(Tracer tracer, String name, Function<Span, Flux<T>> body) {
        return Flux.deferContextual(context -> {
            Span span = startChild(tracer, name, context);
            Flux<T> flux;
            try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
                flux = Objects.requireNonNull(body.apply(span), "the body returned no Flux");
            }
            catch (Throwable ex) {
                return Flux.error(failed(span, ex));
            }
            return flux.doOnError(span::error)
                .doFinally(signal -> span.end())
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, span.context()));
        });
    }

    /** Starts a child of the span in {@code context}, or of the current span. */
    private static Span startChild(Tracer tracer, String name, ContextView context) {
        TraceContext parent = traceContext(context);
        Span.Builder builder = tracer.spanBuilder().name(name);
        if (parent != null) {
            builder.setParent(parent);
        }
        return builder.start();
    }

    /**
     * Ends {@code span} with what its body threw, an Error or a checked exception thrown sneakily
     * too, and returns it for Reactor to fail the chain with (a fatal one is rethrown).
     */
    private static Throwable failed(Span span, Throwable ex) {
        span.error(ex).end();
        Exceptions.throwIfFatal(ex);
        return ex;
    }
}
