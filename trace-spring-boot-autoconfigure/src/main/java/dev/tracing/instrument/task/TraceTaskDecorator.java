package dev.tracing.instrument.task;

import io.micrometer.tracing.Tracer;

import org.springframework.core.task.TaskDecorator;

/**
 * Runs a task in the span that was current when it was submitted (thread-local and MDC), so its
 * log lines and calls join the submitter's trace; a task submitted outside any span runs in none.
 */
public final class TraceTaskDecorator implements TaskDecorator {

    private final Tracer tracer;

    public TraceTaskDecorator(Tracer tracer) {
        this.tracer = tracer;
    }

    @Override
    public Runnable decorate(Runnable runnable) {
        return tracer.currentTraceContext().wrap(runnable);
    }

}
