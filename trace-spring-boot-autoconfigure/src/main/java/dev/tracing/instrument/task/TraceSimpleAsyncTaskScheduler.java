package dev.tracing.instrument.task;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;

import io.micrometer.tracing.Tracer;

import org.springframework.scheduling.Trigger;
import org.springframework.scheduling.concurrent.SimpleAsyncTaskScheduler;

/**
 * Spring's virtual-thread scheduler, whose tasks run in the span that scheduled them.
 *
 * <p>Design notes: {@link SimpleAsyncTaskScheduler} applies its task decorator when a task fires,
 * on its timer thread, where no span is current, so a decorator cannot carry the scheduling
 * code's span; each task is wrapped here when it is scheduled instead. Spring Boot's builder
 * configures it as it configures Boot's own.
 */
public final class TraceSimpleAsyncTaskScheduler extends SimpleAsyncTaskScheduler {

    private final transient Tracer tracer;

    public TraceSimpleAsyncTaskScheduler(Tracer tracer) {
        this.tracer = tracer;
    }

    private Runnable inSpan(Runnable task) {
        return tracer.currentTraceContext().wrap(task);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, Trigger trigger) {
        return super.schedule(inSpan(task), trigger);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, Instant startTime) {
        return super.schedule(inSpan(task), startTime);
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable task, Instant startTime, Duration period) {
        return super.scheduleAtFixedRate(inSpan(task), startTime, period);
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable task, Duration period) {
        return super.scheduleAtFixedRate(inSpan(task), period);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable task, Instant startTime, Duration delay) {
        return super.scheduleWithFixedDelay(inSpan(task), startTime, delay);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable task, Duration delay) {
        return super.scheduleWithFixedDelay(inSpan(task), delay);
    }

}
