package dev.tracing.instrument.task;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.BeforeAll;
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

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * With {@code spring.threads.virtual.enabled=true} (Java 21+), Boot's executor and scheduler run
 * tasks on virtual threads, still in the submitter's span with its ids in the log lines. The
 * build runs on Java 17, where these are skipped; the {@code virtual-threads} profile (active
 * where a JDK 25 is installed) runs them on it.
 */
@SpringBootTest(classes = VirtualThreadTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.NONE,
        properties = { "spring.application.name=virtual-test", "spring.threads.virtual.enabled=true" })
@ExtendWith(OutputCaptureExtension.class)
class VirtualThreadTests {

    @Autowired
    Tracer tracer;

    @Autowired
    App.Worker worker;

    @Autowired
    TaskScheduler taskScheduler;

    @BeforeAll
    static void needsVirtualThreads() {
        assumeTrue(Runtime.version().feature() >= 21, "virtual threads need Java 21+");
    }

    @Test
    void asyncWorkOnAVirtualThreadRunsInTheSubmittersSpan(CapturedOutput output) throws Exception {
        Span caller = tracer.nextSpan().name("caller").start();
        String ran;
        try (Tracer.SpanInScope scope = tracer.withSpan(caller)) {
            ran = worker.work().get(10, TimeUnit.SECONDS);
        }
        finally {
            caller.end();
        }
        assertThat(ran).isEqualTo("virtual " + caller.context().traceId() + "/" + caller.context().spanId());
        assertThat(output).contains("[" + caller.context().traceId() + "-" + caller.context().spanId() + "]");
    }

    @Test
    void aTaskScheduledOnAVirtualThreadRunsInTheSpanThatScheduledIt() throws Exception {
        CompletableFuture<String> ran = new CompletableFuture<>();
        Span caller = tracer.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(caller)) {
            taskScheduler.schedule(() -> ran.complete(kind() + " " + TaskExecutionTests.current(tracer)),
                    Instant.now().plusMillis(50));
        }
        finally {
            caller.end();
        }
        assertThat(ran.get(10, TimeUnit.SECONDS))
            .isEqualTo("virtual " + caller.context().traceId() + "/" + caller.context().spanId());
    }

    @Test
    void aRepeatingTaskScheduledInASpanDoesNotRunInIt() throws Exception {
        // every run in the caller's span would grow its finished trace for as long as the task repeats
        assertThat(TaskExecutionTests.seenByARepeatingTaskScheduledInASpan(tracer, taskScheduler)).isEqualTo("none");
    }

    @Test
    void aTaskATriggerRepeatsDoesNotRunInTheSpanThatScheduledIt() throws Exception {
        assertThat(TaskExecutionTests.seenByATriggeredTaskScheduledInASpan(tracer, taskScheduler)).isEqualTo("none");
    }

    /** Whether this runs on a virtual thread, read without the Java 21 API the build cannot compile against. */
    static String kind() {
        return Thread.currentThread().toString().startsWith("VirtualThread") ? "virtual" : "platform";
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @EnableAsync
    @EnableScheduling
    static class App {

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

            @Async
            CompletableFuture<String> work() {
                logger.info("working on a virtual thread");
                return CompletableFuture.completedFuture(kind() + " " + TaskExecutionTests.current(tracer));
            }

        }

    }

}
