package dev.tracing.autoconfigure;

import dev.tracing.context.TraceContextThreadLocalAccessor;
import dev.tracing.instrument.task.TraceExecutorBeanPostProcessor;
import dev.tracing.instrument.task.TraceTaskDecorator;
import io.micrometer.context.ContextRegistry;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.Tracer;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.task.TaskDecorator;
import org.springframework.core.task.support.ContextPropagatingTaskDecorator;

/**
 * Carries the current span into the work Spring Boot's task executors run: {@code @Async}
 * methods, Spring MVC's {@code Callable} handlers and anything else submitted to
 * {@code applicationTaskExecutor} or to an executor built with Boot's executor builders. Boot
 * applies every {@link TaskDecorator} bean to them (composed, in order); this one makes the
 * submitter's span current (thread-local and MDC) while the task runs, so its logs and calls
 * join the trace. The application's own decorators run as well. Executors and schedulers the
 * application declares itself ({@code new ThreadPoolTaskExecutor()} for {@code @Async("name")})
 * get the same decorator, and tasks scheduled on Boot's {@code TaskScheduler} run in the span
 * that scheduled them.
 *
 * <p>It is left out where Boot's {@code spring.task.execution.propagate-context=true} has defined
 * a {@link ContextPropagatingTaskDecorator}, which carries the span already: it restores what
 * context-propagation's accessors read, so the starter's accessor for the current trace context
 * is registered here too when Reactor (whose configuration registers it otherwise) is not on the
 * classpath.
 */
@AutoConfiguration(after = { TraceAutoConfiguration.class, TraceReactorAutoConfiguration.class },
        afterName = "org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration")
@ConditionalOnTracingEnabled
@ConditionalOnBean(TraceAutoConfiguration.class)
public final class TraceTaskExecutionAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(ContextPropagatingTaskDecorator.class)
    TaskDecorator traceTaskDecorator(Tracer tracer) {
        return new TraceTaskDecorator(tracer);
    }

    /** The same decorator for the executors and schedulers the application declares itself. */
    @Bean
    static TraceExecutorBeanPostProcessor traceExecutorBeanPostProcessor(ObjectProvider<Tracer> tracer) {
        return new TraceExecutorBeanPostProcessor(() -> new TraceTaskDecorator(tracer.getObject()));
    }

    @Bean
    @ConditionalOnMissingBean
    TraceContextThreadLocalAccessor traceContextThreadLocalAccessor(CurrentTraceContext currentTraceContext) {
        TraceContextThreadLocalAccessor accessor = new TraceContextThreadLocalAccessor(currentTraceContext);
        ContextRegistry.getInstance().registerThreadLocalAccessor(accessor);
        return accessor;
    }

}
