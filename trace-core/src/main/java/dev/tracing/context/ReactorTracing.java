package dev.tracing.context;

import java.util.function.Function;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import reactor.core.publisher.Mono;
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
     * there is one, else the request's.
     */
    public static TraceContext traceContext(ContextView context) {
        Object value = context.getOrDefault(TraceContextThreadLocalAccessor.KEY, null);
        if (!(value instanceof TraceContext carried)) {
            return null;
        }
        return EnclosedObservation.innermost(carried, context.getOrDefault(OBSERVATION_KEY, null));
    }

    /**
     * Runs the {@code Mono} made by {@code body} in a new span, a child of the span in the
     * subscriber's Reactor Context (or of the current span), ending it when the {@code Mono}
     * completes, fails or is cancelled. The child is what downstream operators and calls see.
     */
    public static <T> Mono<T> inChildSpan(Tracer tracer, String name, Function<Span, Mono<T>> body) {
        return Mono.deferContextual(context -> {
            TraceContext parent = traceContext(context);
            Span.Builder builder = tracer.spanBuilder().name(name);
            if (parent != null) {
                builder.setParent(parent);
            }
            Span span = builder.start();
            Mono<T> mono;
            try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
                mono = body.apply(span);
            }
            catch (RuntimeException ex) {
                span.error(ex).end();
                return Mono.error(ex);
            }
            return mono.doOnError(span::error)
                .doFinally(signal -> span.end())
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, span.context()));
        });
    }
}
