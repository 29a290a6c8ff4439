package dev.tracing.autoconfigure;

import dev.tracing.actuate.TracesEndpoint;
import dev.tracing.export.InMemorySpanStore;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Registers the {@code traces} endpoint when actuator is present, the in-memory span store is on
 * ({@code trace.export.memory.enabled}) and the application exposes the endpoint.
 */
@AutoConfiguration(after = TraceAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.annotation.Endpoint")
@ConditionalOnAvailableEndpoint(TracesEndpoint.class)
public final class TracesEndpointAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(InMemorySpanStore.class)
    TracesEndpoint tracesEndpoint(InMemorySpanStore store) {
        return new TracesEndpoint(store);
    }

}
