package dev.tracing.instrument.web;

import java.util.List;

import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.boot.restclient.RestTemplateCustomizer;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;

/** Adds the tracing interceptor, once, to every RestTemplate and RestClient Spring Boot builds. */
public final class TraceRestClientCustomizers implements RestTemplateCustomizer, RestClientCustomizer {

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
    }

    @Override
    public void customize(RestClient.Builder builder) {
        builder.requestInterceptors(interceptors -> {
            if (interceptors.stream().noneMatch(TraceClientHttpRequestInterceptor.class::isInstance)) {
                interceptors.add(0, interceptor);
            }
        });
    }
}
