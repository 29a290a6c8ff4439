package dev.tracing.instrument.task;

import java.util.concurrent.RunnableScheduledFuture;

import io.micrometer.tracing.Tracer;

import org.springframework.core.task.TaskDecorator;

/**
 * Runs a task in the span that was current when it was submitted (thread-local and MDC), so its
 * log lines and calls join the submitter's trace; a task submitted outside any span runs in none.
 * A task a scheduler repeats (fixed rate, fixed delay, a trigger) is left as it is: every run in
 * the span of the request that scheduled it would grow that finished trace for as long as the task
 * repeats.
 *
 * <p>Design notes: a fixed rate or delay reaches the decorator as a periodic future. A trigger
 * does not: Spring's {@code ThreadPoolTaskScheduler} schedules each of its runs as a one-shot
 * task, from its {@code ReschedulingRunnable} (the first on the caller's thread, the next ones at
 * the end of the run before). Those are told apart by that class among the few frames that called
 * the decorator: a short stack walk, taken only for one-shot scheduled tasks, never for tasks
 * given to an executor.
 */
public final class TraceTaskDecorator implements TaskDecorator {

    /** The Spring class that schedules each run of a task a trigger repeats. */
    static final String RESCHEDULING_RUNNABLE = "org.springframework.scheduling.concurrent.ReschedulingRunnable";

    /** How many frames above the decorator to look for it (the scheduler's executor and decorators lie between). */
    private static final int SCHEDULER_FRAMES = 16;

    private static final StackWalker STACK = StackWalker.getInstance();

    private final Tracer tracer;

    public TraceTaskDecorator(Tracer tracer) {
        this.tracer = tracer;
    }

    @Override
    public Runnable decorate(Runnable runnable) {
        if (runnable instanceof RunnableScheduledFuture<?> scheduled
                && (scheduled.isPeriodic() || scheduledByATrigger())) {
            return runnable;
        }
        return tracer.currentTraceContext().wrap(runnable);
    }

    private static boolean scheduledByATrigger() {
        return STACK.walk(frames -> frames.limit(SCHEDULER_FRAMES)
            .anyMatch(frame -> frame.getClassName().equals(RESCHEDULING_RUNNABLE)));
    }

}
