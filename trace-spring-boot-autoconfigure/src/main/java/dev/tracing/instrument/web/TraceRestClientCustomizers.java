package dev.tracing.instrument.web;

import java.util.List;

import dev.tracing.instrument.observation.InstrumentedExchanges;

import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.boot.restclient.RestTemplateCustomizer;
import org.springframework.http.client.ClientHttpRequestInitializer;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;

/**
 * Adds the tracing interceptor, once, to every RestTemplate and RestClient Spring Boot builds,
 * and marks their requests as traced ({@link InstrumentedExchanges#TRACED_ATTRIBUTE}), so that
 * Spring's client Observation of the same request makes no second span.
 */
public final class TraceRestClientCustomizers implements RestTemplateCustomizer, RestClientCustomizer {

    /** Marks each request when it is created, before Spring's Observation of it starts. */
    private static final ClientHttpRequestInitializer MARK = request -> request.getAttributes()
        .put(InstrumentedExchanges.TRACED_ATTRIBUTE, Boolean.TRUE);

    private final TraceClientHttpRequestInterceptor interceptor;

    public TraceRestClientCustomizers(TraceClientHttpRequestInterceptor interceptor) {
        this.interceptor = interceptor;
    }

    @Override
    public void customize(RestTemplate restTemplate) {
        List<ClientHttpRequestInterceptor> interceptors = restTemplate.getInterceptors();
        if (interceptors.stream().noneMatch(TraceClientHttpRequestInterceptor.class::isInstance)) {
            interceptors.add(0, interceptor);
        }
        List<ClientHttpRequestInitializer> initializers = restTemplate.getClientHttpRequestInitializers();
        if (!initializers.contains(MARK)) {
            initializers.add(MARK);
        }
    }

    @Override
    public void customize(RestClient.Builder builder) {
        builder.requestInterceptors(interceptors -> {
            if (interceptors.stream().noneMatch(TraceClientHttpRequestInterceptor.class::isInstance)) {
                interceptors.add(0, interceptor);
            }
        });
        builder.requestInitializers(initializers -> {
            if (!initializers.contains(MARK)) {
                initializers.add(MARK);
            }
        });
    }
}
