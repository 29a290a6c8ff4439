package dev.tracing.autoconfigure;

import dev.tracing.context.ReactorContextPropagation;
import dev.tracing.context.TraceContextThreadLocalAccessor;
import io.micrometer.context.ContextRegistry;
import io.micrometer.tracing.CurrentTraceContext;
import reactor.core.publisher.Hooks;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * The Reactor-Context scope manager: registers the accessor that moves the current trace context
 * between the Reactor Context and the thread, and, with
 * {@code trace.reactor.context-propagation=auto}, turns on Reactor's automatic context
 * propagation so every operator of a traced chain sees the span (and logs carry its ids), and
 * makes those restores cheap (ChangeOnlyContextSnapshotFactory, in {@code limited} mode
 * too, for the restores Reactor still does in {@code handle} and {@code tap}).
 */
// after Boot's, whose spring.reactor.context-propagation=auto enables the hook again and so replaces Reactor's factory
@AutoConfiguration(after = TraceAutoConfiguration.class,
        afterName = "org.springframework.boot.reactor.autoconfigure.ReactorAutoConfiguration")
@ConditionalOnClass({ Hooks.class, ContextRegistry.class })
@ConditionalOnTracingEnabled
@ConditionalOnBean(TraceAutoConfiguration.class)
@EnableConfigurationProperties(TraceReactorProperties.class)
public final class TraceReactorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    TraceContextThreadLocalAccessor traceContextThreadLocalAccessor(CurrentTraceContext currentTraceContext,
            TraceReactorProperties properties) {
        TraceContextThreadLocalAccessor accessor = new TraceContextThreadLocalAccessor(currentTraceContext);
        ReactorContextPropagation.install(accessor,
                properties.getContextPropagation() == TraceReactorProperties.ContextPropagation.AUTO);
        return accessor;
    }

}
