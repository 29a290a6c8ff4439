package dev.tracing.instrument.task;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.core.task.TaskDecorator;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.test.context.NestedTestConfiguration;

import static dev.tracing.instrument.task.TaskExecutionTests.current;
import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.context.NestedTestConfiguration.EnclosingConfiguration.OVERRIDE;

/**
 * A scheduler whose tasks an application's own decorator wraps as well (one that copies the MDC or
 * the security context, say): a task it repeats still does not run in the span that scheduled it,
 * though ours comes after that decorator and gets its wrapper, and a one-shot task still does.
 */
@NestedTestConfiguration(OVERRIDE)
class DecoratedSchedulerTests {

    /** How many tasks ran through the application's decorator. */
    static final AtomicInteger ranWrapped = new AtomicInteger();

    /** An application's decorator: wraps every task. */
    static Runnable wrapped(Runnable task) {
        return () -> {
            ranWrapped.incrementAndGet();
            task.run();
        };
    }

    /** What each scheduler must do, whoever built it. */
    abstract static class Checks {

        abstract Tracer tracer();

        abstract TaskScheduler scheduler();

        @Test
        void aRepeatingTaskDoesNotRunInTheSpanThatScheduledIt() throws Exception {
            assertThat(TaskExecutionTests.seenByARepeatingTaskScheduledInASpan(tracer(), scheduler())).isEqualTo("none");
            assertThat(TaskExecutionTests.seenByATriggeredTaskScheduledInASpan(tracer(), scheduler())).isEqualTo("none");
        }

        @Test
        void aOneShotTaskRunsInTheSpanThatScheduledIt() throws Exception {
            assertThat(seenByAOneShotTask(tracer(), scheduler())).isNotEqualTo("none");
        }

    }

    @Nested
    @SpringBootTest(classes = BootsScheduler.App.class, webEnvironment = SpringBootTest.WebEnvironment.NONE)
    class BootsScheduler extends Checks {

        @Autowired
        Tracer tracer;

        @Autowired
        TaskScheduler taskScheduler;

        @Override
        Tracer tracer() {
            return tracer;
        }

        @Override
        TaskScheduler scheduler() {
            return taskScheduler;
        }

        /** Spring Boot's scheduler, given the application's decorator bean and ours by its builder. */
        @SpringBootConfiguration
        @EnableAutoConfiguration
        static class App {

            @Bean
            TaskDecorator applicationsDecorator() {
                return DecoratedSchedulerTests::wrapped;
            }

        }

    }

    @Nested
    @SpringBootTest(classes = OwnScheduler.App.class, webEnvironment = SpringBootTest.WebEnvironment.NONE)
    class OwnScheduler extends Checks {

        @Autowired
        Tracer tracer;

        @Autowired
        ThreadPoolTaskScheduler ownScheduler;

        @Override
        Tracer tracer() {
            return tracer;
        }

        @Override
        TaskScheduler scheduler() {
            return ownScheduler;
        }

        /** A scheduler the application builds itself, with its own decorator. */
        @SpringBootConfiguration
        @EnableAutoConfiguration
        static class App {

            @Bean
            ThreadPoolTaskScheduler ownScheduler() {
                ThreadPoolTaskScheduler scheduler = new ThreadPoolTaskScheduler();
                scheduler.setTaskDecorator(DecoratedSchedulerTests::wrapped);
                return scheduler;
            }

        }

    }

    /** What a task scheduled once, inside a span, sees as the current span: that span's ids. */
    static String seenByAOneShotTask(Tracer tracer, TaskScheduler scheduler) throws Exception {
        int wrappedBefore = ranWrapped.get();
        CompletableFuture<String> ran = new CompletableFuture<>();
        Span caller = tracer.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(caller)) {
            scheduler.schedule(() -> ran.complete(current(tracer)), Instant.now().plusMillis(20));
        }
        finally {
            caller.end();
        }
        String seen = ran.get(10, TimeUnit.SECONDS);
        assertThat(seen).isEqualTo(caller.context().traceId() + "/" + caller.context().spanId());
        // the application's decorator ran too
        assertThat(ranWrapped.get()).isGreaterThan(wrappedBefore);
        return seen;
    }

}
