package dev.tracing.instrument.web;

import java.util.List;

import dev.tracing.instrument.observation.InstrumentedExchanges;

import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.boot.restclient.RestTemplateCustomizer;
import org.springframework.http.client.ClientHttpRequest;
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
        if (initializers.stream().noneMatch(MarkWhileIntercepted.class::isInstance)) {
            initializers.add(new MarkWhileIntercepted(interceptors));
        }
    }

    /**
     * Marks a RestTemplate's request only while our interceptor is among the template's: an
     * application that replaces them afterwards ({@code setInterceptors}, which refills the same
     * list) drops ours, and Spring's Observation must then make the span. A scan of a few entries
     * per request.
     */
    private static final class MarkWhileIntercepted implements ClientHttpRequestInitializer {

        /** The template's own list, which {@code setInterceptors} clears and refills. */
        private final List<ClientHttpRequestInterceptor> interceptors;

        MarkWhileIntercepted(List<ClientHttpRequestInterceptor> interceptors) {
            this.interceptors = interceptors;
        }

        @Override
        public void initialize(ClientHttpRequest request) {
            for (int i = 0; i < interceptors.size(); i++) {
                if (interceptors.get(i) instanceof TraceClientHttpRequestInterceptor) {
                    MARK.initialize(request);
                    return;
                }
            }
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
