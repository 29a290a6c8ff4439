package dev.tracing.autoconfigure;

import dev.tracing.instrument.http.HttpSpanPolicy;
import dev.tracing.instrument.web.TraceClientHttpRequestInterceptor;
import dev.tracing.instrument.web.TraceRestClientCustomizers;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * The interceptor on every RestTemplate and RestClient Spring Boot builds, through the one
 * {@link HttpSpanPolicy}. Its conditions are the class's own, so that an application without
 * Spring Boot's RestTemplate and RestClient support filters it out from the auto-configuration
 * metadata, without reading the class.
 */
@AutoConfiguration(after = TraceWebFluxAutoConfiguration.class)
@ConditionalOnTracingEnabled
@ConditionalOnBean(TraceAutoConfiguration.class)
@ConditionalOnClass(name = { "org.springframework.boot.restclient.RestTemplateCustomizer",
        "org.springframework.web.client.RestClient" })
@ConditionalOnProperty(prefix = "trace.web.client", name = "enabled", havingValue = "true", matchIfMissing = true)
public final class TraceRestClientAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    TraceClientHttpRequestInterceptor traceClientHttpRequestInterceptor(Tracer tracer, Propagator propagator,
            HttpSpanPolicy policy) {
        return new TraceClientHttpRequestInterceptor(tracer, propagator, policy);
    }

    @Bean
    @ConditionalOnMissingBean
    TraceRestClientCustomizers traceRestClientCustomizers(TraceClientHttpRequestInterceptor interceptor) {
        return new TraceRestClientCustomizers(interceptor);
    }

}
