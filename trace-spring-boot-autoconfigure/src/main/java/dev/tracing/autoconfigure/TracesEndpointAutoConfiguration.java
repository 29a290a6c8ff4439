package dev.tracing.autoconfigure;

import dev.tracing.actuate.TraceViewEndpoint;
import dev.tracing.actuate.TracesEndpoint;
import dev.tracing.export.InMemorySpanStore;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.web.PathMappedEndpoints;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Registers the {@code traces} endpoint and the {@code traceview} page when actuator is present,
 * the in-memory span store is on ({@code trace.export.memory.enabled}) and the application
 * exposes the endpoint. The page reads the {@code traces} endpoint, so it shows traces only
 * where both are exposed.
 */
@AutoConfiguration(after = TraceAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.annotation.Endpoint")
public final class TracesEndpointAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(InMemorySpanStore.class)
    @ConditionalOnAvailableEndpoint(TracesEndpoint.class)
    TracesEndpoint tracesEndpoint(InMemorySpanStore store) {
        return new TracesEndpoint(store);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(InMemorySpanStore.class)
    @ConditionalOnAvailableEndpoint(TraceViewEndpoint.class)
    TraceViewEndpoint traceViewEndpoint(ObjectProvider<PathMappedEndpoints> endpoints) {
        // asked when the page is first served: the endpoints' paths need every endpoint bean, this one too
        return new TraceViewEndpoint(endpoints::getIfAvailable);
    }

}
