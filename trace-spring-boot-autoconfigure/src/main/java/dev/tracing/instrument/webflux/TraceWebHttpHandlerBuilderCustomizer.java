package dev.tracing.instrument.webflux;

import org.springframework.boot.webflux.autoconfigure.WebHttpHandlerBuilderCustomizer;
import org.springframework.web.server.adapter.WebHttpHandlerBuilder;

/**
 * Wraps the HttpHandler Spring Boot builds so each request's SERVER span also covers the
 * exception handlers: their log lines carry the trace id and the span ends with the status they
 * wrote. Keeps any decorator already set. Puts {@link TraceWebFilter#errorRecorder()} first among
 * the exception handlers, so the span records the error the request failed with, not one an
 * exception handler failed with while answering it.
 */
public final class TraceWebHttpHandlerBuilderCustomizer implements WebHttpHandlerBuilderCustomizer {

    private final TraceWebFilter filter;

    public TraceWebHttpHandlerBuilderCustomizer(TraceWebFilter filter) {
        this.filter = filter;
    }

    @Override
    public void customize(WebHttpHandlerBuilder builder) {
        builder.httpHandlerDecorator(filter::decorate);
        builder.exceptionHandlers(handlers -> handlers.add(0, filter.errorRecorder()));
    }
}
