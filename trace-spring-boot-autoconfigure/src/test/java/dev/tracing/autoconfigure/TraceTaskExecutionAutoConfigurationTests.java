package dev.tracing.autoconfigure;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.tracing.context.TraceContextThreadLocalAccessor;
import io.micrometer.context.ContextRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.task.AsyncTaskExecutor;
import org.springframework.core.task.TaskDecorator;
import org.springframework.core.task.support.ContextPropagatingTaskDecorator;

import static org.assertj.core.api.Assertions.assertThat;

/** The span crosses into tasks that Spring Boot's {@code applicationTaskExecutor} runs. */
class TraceTaskExecutionAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withPropertyValues("trace.sampling.rate-limit=0")
        .withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class, TraceReactorAutoConfiguration.class,
                TraceTaskExecutionAutoConfiguration.class, TaskExecutionAutoConfiguration.class));

    /** What a task submitted inside a span sees: "traceId/spanId of the current span | MDC traceId". */
    static String seenByATaskSubmittedInASpan(ApplicationContext context) throws Exception {
        Tracer tracer = context.getBean(Tracer.class);
        AsyncTaskExecutor executor = context.getBean("applicationTaskExecutor", AsyncTaskExecutor.class);
        Span span = tracer.nextSpan().name("submitter").start();
        CompletableFuture<String> seen;
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            seen = executor.submitCompletable(() -> {
                Span current = tracer.currentSpan();
                return (current == null ? "none" : current.context().traceId() + "/" + current.context().spanId())
                        + " | " + MDC.get("traceId");
            });
        }
        finally {
            span.end();
        }
        assertThat(tracer.currentSpan()).isNull();
        String expected = span.context().traceId() + "/" + span.context().spanId() + " | " + span.context().traceId();
        String result = seen.get(10, TimeUnit.SECONDS);
        return result.equals(expected) ? "the submitter's span" : result;
    }

    @Test
    void tasksOfBootsExecutorRunInTheSubmittersSpan() {
        runner.run(context -> {
            assertThat(context).hasBean("traceTaskDecorator").getBeans(TaskDecorator.class).hasSize(1);
            assertThat(seenByATaskSubmittedInASpan(context)).isEqualTo("the submitter's span");
            // the pool thread is left without it
            AsyncTaskExecutor executor = context.getBean("applicationTaskExecutor", AsyncTaskExecutor.class);
            Tracer tracer = context.getBean(Tracer.class);
            assertThat(executor.submitCompletable(() -> String.valueOf(tracer.currentSpan())).get(10, TimeUnit.SECONDS))
                .isEqualTo("null");
        });
    }

    @Test
    void withoutTheDecoratorTasksRunOutsideTheSpan() {
        // what the decorator is for: the same check fails without it
        new ApplicationContextRunner().withPropertyValues("trace.sampling.rate-limit=0")
            .withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class, TraceReactorAutoConfiguration.class,
                    TaskExecutionAutoConfiguration.class))
            .run(context -> assertThat(seenByATaskSubmittedInASpan(context)).isEqualTo("none | null"));
    }

    @Test
    void anApplicationsOwnDecoratorRunsToo() {
        runner.withUserConfiguration(OwnDecorator.class).run(context -> {
            assertThat(context.getBeansOfType(TaskDecorator.class)).containsOnlyKeys("ownDecorator",
                    "traceTaskDecorator");
            assertThat(seenByATaskSubmittedInASpan(context)).isEqualTo("the submitter's span");
            assertThat(OwnDecorator.decorated).hasPositiveValue();
        });
    }

    @Test
    void bootsContextPropagatingDecoratorCarriesTheSpanWithoutReactorToo() {
        // the registry is global: forget what earlier contexts with Reactor registered
        ContextRegistry.getInstance().removeThreadLocalAccessor(TraceContextThreadLocalAccessor.KEY);
        runner.withPropertyValues("spring.task.execution.propagate-context=true")
            .withClassLoader(new FilteredClassLoader("reactor.core"))
            .run(context -> {
                assertThat(context).doesNotHaveBean("traceTaskDecorator");
                assertThat(context.getBean(TaskDecorator.class)).isInstanceOf(ContextPropagatingTaskDecorator.class);
                assertThat(context).hasSingleBean(TraceContextThreadLocalAccessor.class);
                assertThat(seenByATaskSubmittedInASpan(context)).isEqualTo("the submitter's span");
            });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnDecorator {

        static final AtomicInteger decorated = new AtomicInteger();

        @Bean
        TaskDecorator ownDecorator() {
            return task -> {
                decorated.incrementAndGet();
                return task;
            };
        }

    }


    /** With virtual threads and scheduling on, the task scheduler is ours, made from Boot's builder; otherwise Boot's. */
    @Test
    void theVirtualThreadSchedulerIsOursOnlyWhereBootWouldMakeOne() {
        ApplicationContextRunner scheduling = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class, TraceTaskSchedulingAutoConfiguration.class,
                    org.springframework.boot.autoconfigure.task.TaskSchedulingAutoConfiguration.class))
            .withUserConfiguration(Scheduling.class);
        // virtual threads need Java 21+: on 17 the property changes nothing and Boot's scheduler stays
        boolean virtual = Runtime.version().feature() >= 21;
        scheduling.withPropertyValues("spring.threads.virtual.enabled=true")
            .run(context -> assertThat(context.getBean("taskScheduler"))
                .isInstanceOf(virtual ? dev.tracing.instrument.task.TraceSimpleAsyncTaskScheduler.class
                        : org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler.class));
        scheduling.run(context -> assertThat(context.getBean("taskScheduler"))
            .isInstanceOf(org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler.class));
        scheduling.withPropertyValues("spring.threads.virtual.enabled=true")
            .withBean("mine", org.springframework.scheduling.TaskScheduler.class,
                    org.springframework.scheduling.concurrent.SimpleAsyncTaskScheduler::new)
            .run(context -> assertThat(context).doesNotHaveBean("taskScheduler"));
        new ApplicationContextRunner().withPropertyValues("spring.threads.virtual.enabled=true")
            .withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class, TraceTaskSchedulingAutoConfiguration.class))
            .run(context -> assertThat(context).doesNotHaveBean("taskScheduler"));
    }

    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    @org.springframework.scheduling.annotation.EnableScheduling
    static class Scheduling {

    }

}
