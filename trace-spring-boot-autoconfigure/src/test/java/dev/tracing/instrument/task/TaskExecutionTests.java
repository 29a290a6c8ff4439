package dev.tracing.instrument.task;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.scheduling.annotation.Async;
import org.springframework.scheduling.annotation.EnableAsync;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.scheduling.support.PeriodicTrigger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Work handed to an executor or a scheduler runs in the span of the code that handed it over,
 * with the ids in its log lines: {@code @Async} on an executor the application declared itself,
 * whose own decorator still runs, and a task scheduled on Boot's {@link TaskScheduler}.
 */
@SpringBootTest(classes = TaskExecutionTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.NONE,
        properties = "spring.application.name=task-test")
@ExtendWith(OutputCaptureExtension.class)
class TaskExecutionTests {

    @Autowired
    Tracer tracer;

    @Autowired
    App.Worker worker;

    @Autowired
    TaskScheduler taskScheduler;

    @Test
    void asyncOnAnExecutorTheApplicationDeclaredRunsInTheSubmittersSpan(CapturedOutput output) throws Exception {
        Span caller = tracer.nextSpan().name("caller").start();
        String ran;
        try (Tracer.SpanInScope scope = tracer.withSpan(caller)) {
            ran = worker.work().get(10, TimeUnit.SECONDS);
        }
        finally {
            caller.end();
        }
        assertThat(ran).isEqualTo("user-1 " + caller.context().traceId() + "/" + caller.context().spanId());
        assertThat(output).contains("[" + caller.context().traceId() + "-" + caller.context().spanId() + "]");
        // the application's own decorator on that executor still runs
        assertThat(App.decorated.get()).isPositive();
    }

    @Test
    void aTaskScheduledOnBootsSchedulerRunsInTheSpanThatScheduledIt() throws Exception {
        CompletableFuture<String> ran = new CompletableFuture<>();
        Span caller = tracer.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(caller)) {
            taskScheduler.schedule(() -> ran.complete(current(tracer)), Instant.now().plusMillis(50));
        }
        finally {
            caller.end();
        }
        assertThat(ran.get(10, TimeUnit.SECONDS)).isEqualTo(caller.context().traceId() + "/" + caller.context().spanId());
    }

    @Test
    void aTaskSubmittedOutsideASpanRunsInNone() throws Exception {
        assertThat(tracer.currentSpan()).isNull();
        assertThat(worker.work().get(10, TimeUnit.SECONDS)).isEqualTo("user-1 none");
    }

    @Test
    void aRepeatingTaskScheduledInASpanDoesNotRunInIt() throws Exception {
        // every run in the caller's span would grow its finished trace for as long as the task repeats
        assertThat(TaskExecutionTests.seenByARepeatingTaskScheduledInASpan(tracer, taskScheduler)).isEqualTo("none");
    }

    @Test
    void aTaskATriggerRepeatsDoesNotRunInTheSpanThatScheduledIt() throws Exception {
        // the scheduler re-schedules it once per run, each time as a one-shot task
        assertThat(TaskExecutionTests.seenByATriggeredTaskScheduledInASpan(tracer, taskScheduler)).isEqualTo("none");
    }

    @Test
    void aTaskThatATriggeredRunSchedulesCarriesTheRunsSpan() throws Exception {
        // the run is untraced, but a follow-up it schedules inside a span of its own belongs to that span
        CompletableFuture<String> followUp = new CompletableFuture<>();
        CompletableFuture<String> runSpan = new CompletableFuture<>();
        ScheduledFuture<?> repeating = taskScheduler.schedule(() -> {
            if (runSpan.isDone()) {
                return;
            }
            Span run = tracer.nextSpan().name("run").start();
            try (Tracer.SpanInScope scope = tracer.withSpan(run)) {
                runSpan.complete(current(tracer));
                taskScheduler.schedule(() -> followUp.complete(current(tracer)), Instant.now());
            }
            finally {
                run.end();
            }
        }, new PeriodicTrigger(Duration.ofMillis(20)));
        try {
            assertThat(followUp.get(10, TimeUnit.SECONDS)).isEqualTo(runSpan.get(10, TimeUnit.SECONDS));
        }
        finally {
            repeating.cancel(false);
        }
    }

    /** What the third run of a task scheduled at a fixed rate inside a span sees as the current span. */
    static String seenByARepeatingTaskScheduledInASpan(Tracer tracer, TaskScheduler scheduler) throws Exception {
        return seenByThirdRun(tracer, task -> scheduler.scheduleAtFixedRate(task, Duration.ofMillis(20)));
    }

    /** What the third run of a task a trigger repeats, scheduled inside a span, sees as the current span. */
    static String seenByATriggeredTaskScheduledInASpan(Tracer tracer, TaskScheduler scheduler) throws Exception {
        return seenByThirdRun(tracer, task -> scheduler.schedule(task, new PeriodicTrigger(Duration.ofMillis(20))));
    }

    private static String seenByThirdRun(Tracer tracer, Function<Runnable, ScheduledFuture<?>> schedule)
            throws Exception {
        CompletableFuture<String> ran = new CompletableFuture<>();
        AtomicInteger runs = new AtomicInteger();
        Span caller = tracer.nextSpan().name("caller").start();
        ScheduledFuture<?> repeating;
        try (Tracer.SpanInScope scope = tracer.withSpan(caller)) {
            repeating = schedule.apply(() -> {
                if (runs.incrementAndGet() == 3) {
                    ran.complete(current(tracer));
                }
            });
        }
        finally {
            caller.end();
        }
        try {
            return ran.get(10, TimeUnit.SECONDS);
        }
        finally {
            repeating.cancel(false);
        }
    }

    static String current(Tracer tracer) {
        Span span = tracer.currentSpan();
        return span == null ? "none" : span.context().traceId() + "/" + span.context().spanId();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @EnableAsync
    @EnableScheduling
    static class App {

        static final AtomicInteger decorated = new AtomicInteger();

        /** An executor built by hand, not with Boot's builder, with a decorator of the application's. */
        @Bean
        ThreadPoolTaskExecutor userExecutor() {
            ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
            executor.setCorePoolSize(1);
            executor.setThreadNamePrefix("user-");
            executor.setTaskDecorator(task -> {
                decorated.incrementAndGet();
                return task;
            });
            return executor;
        }

        @Bean
        Worker worker(Tracer tracer) {
            return new Worker(tracer);
        }

        static class Worker {

            private static final Logger logger = LoggerFactory.getLogger(Worker.class);

            private final Tracer tracer;

            Worker(Tracer tracer) {
                this.tracer = tracer;
            }

            @Async("userExecutor")
            CompletableFuture<String> work() {
                logger.info("working on the user executor");
                return CompletableFuture.completedFuture(Thread.currentThread().getName() + " " + current(tracer));
            }

        }

    }

}
