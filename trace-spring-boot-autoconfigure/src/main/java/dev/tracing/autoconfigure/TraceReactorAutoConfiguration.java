package dev.tracing.autoconfigure;

import dev.tracing.context.TraceContextThreadLocalAccessor;
import io.micrometer.context.ContextRegistry;
import io.micrometer.tracing.CurrentTraceContext;
import reactor.core.publisher.Hooks;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The Reactor-Context scope manager: registers the accessor that moves the current trace context
 * between the Reactor Context and the thread, and, with
 * {@code trace.reactor.context-propagation=auto}, turns on Reactor's automatic context
 * propagation so every operator of a traced chain sees the span (and logs carry its ids).
 */
@AutoConfiguration(after = TraceAutoConfiguration.class)
@ConditionalOnClass({ Hooks.class, ContextRegistry.class })
@ConditionalOnBean(TraceAutoConfiguration.class)
public final class TraceReactorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    TraceContextThreadLocalAccessor traceContextThreadLocalAccessor(CurrentTraceContext currentTraceContext,
            TraceProperties properties) {
        TraceContextThreadLocalAccessor accessor = new TraceContextThreadLocalAccessor(currentTraceContext);
        // the registry is global; a later context replaces the accessor under the same key
        ContextRegistry.getInstance().registerThreadLocalAccessor(accessor);
        if (properties.getReactor().getContextPropagation() == TraceProperties.ContextPropagation.AUTO) {
            Hooks.enableAutomaticContextPropagation();
        }
        return accessor;
    }

}
