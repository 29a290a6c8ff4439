package dev.tracing.instrument.task;

import java.util.List;
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
 * the end of the run before). Those are told apart by who called the scheduler's executor: a
 * short stack walk up to the first frame above {@code ScheduledThreadPoolExecutor}, taken only for
 * one-shot scheduled tasks (a scheduler's {@code schedule}, {@code execute} and {@code submit}),
 * never for tasks given to a plain executor. A task that a trigger's run schedules itself is its
 * own caller's, and carries the run's span.
 */
public final class TraceTaskDecorator implements TaskDecorator {

    /** The Spring class that schedules each run of a task a trigger repeats. */
    static final String RESCHEDULING_RUNNABLE = "org.springframework.scheduling.concurrent.ReschedulingRunnable";

    /** The JDK executor under Spring's scheduler; the frame above its own is the one that asked to schedule. */
    static final String SCHEDULED_EXECUTOR = "java.util.concurrent.ScheduledThreadPoolExecutor";

    /** How many frames above the decorator to look at, at most (decorators and the executor lie between). */
    private static final int SCHEDULER_FRAMES = 24;

    private static final StackWalker STACK = StackWalker.getInstance();

    private final Tracer tracer;

    public TraceTaskDecorator(Tracer tracer) {
        this.tracer = tracer;
    }

    @Override
    public Runnable decorate(Runnable runnable) {
        return repeats(runnable) ? runnable : wrap(runnable);
    }

    private Runnable wrap(Runnable runnable) {
        return tracer.currentTraceContext().wrap(runnable);
    }

    /** Whether {@code runnable}, as the executor hands it over, is a task a scheduler repeats. */
    private static boolean repeats(Runnable runnable) {
        return runnable instanceof RunnableScheduledFuture<?> scheduled
                && (scheduled.isPeriodic() || scheduledByATrigger());
    }

    /**
     * Applies {@code decorators} in their order, as Spring's {@code CompositeTaskDecorator} does, except
     * that each of ours among them decides on the task as the executor handed it over: behind an
     * application's decorator it would get that decorator's wrapper, no longer see a task the scheduler
     * repeats, and run every repeat in the span that scheduled it.
     */
    public static TaskDecorator inOrder(List<TaskDecorator> decorators) {
        return new Chain(List.copyOf(decorators));
    }

    /** Decorators applied in order, ours deciding on the undecorated task; see {@link #inOrder}. */
    record Chain(List<TaskDecorator> decorators) implements TaskDecorator {

        @Override
        public Runnable decorate(Runnable runnable) {
            boolean repeating = repeats(runnable);
            Runnable decorated = runnable;
            for (TaskDecorator decorator : decorators) {
                if (decorator instanceof TraceTaskDecorator ours) {
                    if (!repeating) {
                        decorated = ours.wrap(decorated);
                    }
                }
                else {
                    decorated = decorator.decorate(decorated);
                }
            }
            return decorated;
        }

    }

    /** Whether the executor was asked to schedule this task by Spring's trigger runnable itself. */
    private static boolean scheduledByATrigger() {
        return STACK.walk(frames -> {
            boolean inExecutor = false;
            for (var it = frames.limit(SCHEDULER_FRAMES).iterator(); it.hasNext();) {
                String type = it.next().getClassName();
                if (type.equals(SCHEDULED_EXECUTOR)) {
                    inExecutor = true;
                }
                else if (inExecutor) {
                    return type.equals(RESCHEDULING_RUNNABLE);
                }
            }
            return false;
        });
    }

}
