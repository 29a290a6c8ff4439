package dev.tracing.autoconfigure;

import java.util.concurrent.ScheduledExecutorService;

import dev.tracing.instrument.task.TraceSimpleAsyncTaskScheduler;
import io.micrometer.tracing.Tracer;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnThreading;
import org.springframework.boot.task.SimpleAsyncTaskSchedulerBuilder;
import org.springframework.boot.thread.Threading;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.scheduling.concurrent.SimpleAsyncTaskScheduler;

/**
 * With virtual threads ({@code spring.threads.virtual.enabled=true}) and scheduling on, the
 * {@code taskScheduler} Spring Boot would make, made from Boot's builder the same way, but running
 * each task in the span that scheduled it (see {@link TraceSimpleAsyncTaskScheduler}). Boot's
 * platform-thread scheduler needs nothing: it applies the starter's task decorator when a task is
 * scheduled. Backs off, as Boot's does, for a {@link TaskScheduler} of the application's.
 */
@AutoConfiguration(after = TraceAutoConfiguration.class,
        beforeName = "org.springframework.boot.autoconfigure.task.TaskSchedulingAutoConfiguration")
@ConditionalOnTracingEnabled
@ConditionalOnBean(value = TraceAutoConfiguration.class,
        name = "org.springframework.scheduling.config.internalScheduledAnnotationProcessor")
@ConditionalOnMissingBean({ TaskScheduler.class, ScheduledExecutorService.class })
@ConditionalOnThreading(Threading.VIRTUAL)
public final class TraceTaskSchedulingAutoConfiguration {

    @Bean(name = "taskScheduler")
    SimpleAsyncTaskScheduler taskScheduler(Tracer tracer, ObjectProvider<SimpleAsyncTaskSchedulerBuilder> builder) {
        return builder.getIfAvailable(SimpleAsyncTaskSchedulerBuilder::new)
            .configure(new TraceSimpleAsyncTaskScheduler(tracer));
    }

}
