package dev.tracing.instrument.webflux;

import org.springframework.boot.webclient.WebClientCustomizer;
import org.springframework.web.reactive.function.client.WebClient;

/** Adds the tracing filter to every {@link WebClient.Builder} Spring Boot hands out, once. */
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
    }
}
