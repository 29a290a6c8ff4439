package dev.tracing.autoconfigure;

import dev.tracing.context.ChangeOnlyContextSnapshotFactory;
import dev.tracing.context.ChangeOnlyThreadLocalAccessor;
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
 * makes those restores cheap ({@link ChangeOnlyContextSnapshotFactory}, in {@code limited} mode
 * too, for the restores Reactor still does in {@code handle} and {@code tap}).
 */
// after Boot's, whose spring.reactor.context-propagation=auto enables the hook again and so replaces Reactor's factory
@AutoConfiguration(after = TraceAutoConfiguration.class,
        afterName = "org.springframework.boot.reactor.autoconfigure.ReactorAutoConfiguration")
@ConditionalOnClass({ Hooks.class, ContextRegistry.class })
@ConditionalOnBean(TraceAutoConfiguration.class)
@EnableConfigurationProperties(TraceReactorProperties.class)
public final class TraceReactorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    TraceContextThreadLocalAccessor traceContextThreadLocalAccessor(CurrentTraceContext currentTraceContext,
            TraceReactorProperties properties) {
        TraceContextThreadLocalAccessor accessor = new TraceContextThreadLocalAccessor(currentTraceContext);
        boolean auto = properties.getContextPropagation() == TraceReactorProperties.ContextPropagation.AUTO;
        if (auto) {
            // before ours is registered: re-registering moves an accessor to the end of the list
            ChangeOnlyThreadLocalAccessor.wrapObservationAccessor(ContextRegistry.getInstance());
        }
        // The registry is global; a later context replaces the accessor under the same key. Ours must restore
        // after Micrometer's observation accessor, whose clearing scope makes the tracing handlers clear the
        // current span: restored last, the span the Reactor Context holds is the one the thread sees.
        ContextRegistry.getInstance().registerThreadLocalAccessor(accessor);
        if (auto) {
            Hooks.enableAutomaticContextPropagation();
            // after the hook, which replaces Reactor's factory; without it restores work as before, only dearer
            ChangeOnlyContextSnapshotFactory.installInReactor(true);
        }
        else if (!Hooks.isAutomaticContextPropagationEnabled()) {
            // Reactor still restores in handle and tap (Spring's server observation taps every request), keeping
            // what the Reactor Context lacks; unless someone else turned automatic propagation on
            ChangeOnlyContextSnapshotFactory.installInReactor(false);
        }
        return accessor;
    }

}
