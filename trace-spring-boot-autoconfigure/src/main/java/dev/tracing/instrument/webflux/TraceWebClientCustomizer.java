package dev.tracing.instrument.webflux;

import dev.tracing.instrument.observation.InstrumentedExchanges;

import org.springframework.boot.webclient.WebClientCustomizer;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Adds the tracing filter to every {@link WebClient.Builder} Spring Boot hands out, once, and
 * marks its requests as traced ({@link InstrumentedExchanges#TRACED_ATTRIBUTE}), so that Spring's
 * client Observation of the same request makes no second span.
 */
public final class TraceWebClientCustomizer implements WebClientCustomizer {

    private final TraceExchangeFilterFunction filter;

    public TraceWebClientCustomizer(TraceExchangeFilterFunction filter) {
        this.filter = filter;
    }

    @Override
    public void customize(WebClient.Builder builder) {
        builder.filters(filters -> {
            if (filters.stream().noneMatch(TraceExchangeFilterFunction.class::isInstance)) {
                filters.add(0, filter);
            }
        });
        builder.defaultRequest(request -> request.attribute(InstrumentedExchanges.TRACED_ATTRIBUTE, Boolean.TRUE));
    }
}
