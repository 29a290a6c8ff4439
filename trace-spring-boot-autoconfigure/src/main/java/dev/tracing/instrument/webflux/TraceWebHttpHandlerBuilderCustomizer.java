package dev.tracing.instrument.webflux;

import org.springframework.boot.webflux.autoconfigure.WebHttpHandlerBuilderCustomizer;
import org.springframework.core.Ordered;
import org.springframework.web.server.adapter.WebHttpHandlerBuilder;

/**
 * Wraps the HttpHandler Spring Boot builds so each request's SERVER span also covers the
 * exception handlers: their log lines carry the trace id and the span ends with the status they
 * wrote. Keeps any decorator already set. Puts {@link TraceWebFilter#errorRecorder()} first among
 * the exception handlers, so the span records the error the request failed with, not one an
 * exception handler failed with while answering it.
 *
 * <p>Design notes: it runs after the application's customizers (ordered
 * {@code LOWEST_PRECEDENCE}, and registered after the application's beans where their order ties),
 * so its decorator is the innermost, the one that hands Spring's adapter the very request the
 * adapter builds the exchange over; the decorator then reads the exchange (the route, the handlers'
 * errors) through that request and the filter leaves Spring's chain, where every filter costs a
 * link and a checkpoint per request. With a forwarded-header transformer (the adapter builds the
 * exchange over a copy) or a decorator set before this one (it may wrap the request, and a wrapper
 * does not give the exchange's attributes) the filter stays in the chain to hand the exchange
 * over. A decorator added by a customizer that still runs after this one sits inside ours: if it
 * hands the adapter a request of its own, spans lose the route and handled errors, and the
 * decorator logs a warning once.
 */
public final class TraceWebHttpHandlerBuilderCustomizer implements WebHttpHandlerBuilderCustomizer, Ordered {

    private final TraceWebFilter filter;

    public TraceWebHttpHandlerBuilderCustomizer(TraceWebFilter filter) {
        this.filter = filter;
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }

    @Override
    public void customize(WebHttpHandlerBuilder builder) {
        boolean filterInChain = builder.hasForwardedHeaderTransformer() || builder.hasHttpHandlerDecorator();
        if (!filterInChain) {
            builder.filters(filters -> filters.remove(filter));
        }
        builder.httpHandlerDecorator(handler -> filter.decorate(handler, filterInChain));
        builder.exceptionHandlers(handlers -> handlers.add(0, filter.errorRecorder()));
    }
}
