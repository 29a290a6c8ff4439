package dev.tracing.instrument.task;

import java.time.Instant;
import java.util.concurrent.ScheduledFuture;

import io.micrometer.tracing.Tracer;

import org.springframework.scheduling.concurrent.SimpleAsyncTaskScheduler;

/**
 * Spring's virtual-thread scheduler, whose one-shot tasks run in the span that scheduled them.
 *
 * <p>Design notes: {@link SimpleAsyncTaskScheduler} applies its task decorator when a task fires,
 * on its timer thread, where no span is current, so a decorator cannot carry the scheduling
 * code's span; a task scheduled once is wrapped here when it is scheduled instead. Repeating
 * tasks (fixed rate, fixed delay, a trigger) are not: every run in the span of the request that
 * scheduled them would grow that finished trace for as long as they repeat. Spring Boot's builder
 * configures it as it configures Boot's own.
 */
public final class TraceSimpleAsyncTaskScheduler extends SimpleAsyncTaskScheduler {

    private final transient Tracer tracer;

    public TraceSimpleAsyncTaskScheduler(Tracer tracer) {
        this.tracer = tracer;
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, Instant startTime) {
        return super.schedule(tracer.currentTraceContext().wrap(task), startTime);
    }

}
