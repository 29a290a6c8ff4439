package dev.tracing.instrument.task;

import java.util.concurrent.RunnableScheduledFuture;

import io.micrometer.tracing.Tracer;

import org.springframework.core.task.TaskDecorator;

/**
 * Runs a task in the span that was current when it was submitted (thread-local and MDC), so its
 * log lines and calls join the submitter's trace; a task submitted outside any span runs in none.
 * A periodic task a scheduler repeats is left as it is: every run in the span of the request that
 * scheduled it would grow that finished trace for as long as the task repeats.
 */
public final class TraceTaskDecorator implements TaskDecorator {

    private final Tracer tracer;

    public TraceTaskDecorator(Tracer tracer) {
        this.tracer = tracer;
    }

    @Override
    public Runnable decorate(Runnable runnable) {
        if (runnable instanceof RunnableScheduledFuture<?> scheduled && scheduled.isPeriodic()) {
            return runnable;
        }
        return tracer.currentTraceContext().wrap(runnable);
    }

}
