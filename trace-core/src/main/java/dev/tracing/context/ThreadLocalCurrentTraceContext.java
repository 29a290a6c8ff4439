package dev.tracing.context;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;

import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.TraceContext;

/**
 * The current trace context of each thread, with decorators (MDC) run as scopes open and close.
 *
 * <p>Design notes: each thread keeps one mutable holder in its {@link ThreadLocal}, so opening
 * and closing a scope is a field write rather than a {@code ThreadLocal.set}, which would touch
 * the thread's hash table each time. A scope restores exactly the context that was current
 * when it opened, so scopes must close in reverse order on the thread that opened them.
 */
public final class ThreadLocalCurrentTraceContext implements CurrentTraceContext {

    private static final class Holder {

        TraceContext context;

    }

    private final ThreadLocal<Holder> local = ThreadLocal.withInitial(Holder::new);

    private final ScopeDecorator[] decorators;

    /** Creates a current-context with no decorators. */
    public ThreadLocalCurrentTraceContext() {
        this(List.of());
    }

    /** Creates a current-context that runs {@code decorators} in order as scopes open. */
    public ThreadLocalCurrentTraceContext(List<? extends ScopeDecorator> decorators) {
        this.decorators = decorators.toArray(new ScopeDecorator[0]);
    }

    @Override
    public TraceContext context() {
        return local.get().context;
    }

    @Override
    public Scope newScope(TraceContext context) {
        Holder holder = local.get();
        TraceContext previous = holder.context;
        holder.context = context;
        if (decorators.length == 0) {
            return new RevertingScope(holder, previous, context, null);
        }
        Runnable[] undo = null;
        for (int i = 0; i < decorators.length; i++) {
            Runnable u = decorators[i].decorate(context);
            if (u != null) {
                if (undo == null) {
                    undo = new Runnable[decorators.length];
                }
                undo[i] = u;
            }
        }
        return new RevertingScope(holder, previous, context, undo);
    }

    @Override
    public Scope maybeScope(TraceContext context) {
        TraceContext current = local.get().context;
        if (Objects.equals(current, context)) {
            return Scope.NOOP;
        }
        return newScope(context);
    }

    @Override
    public <C> Callable<C> wrap(Callable<C> task) {
        TraceContext captured = context();
        return () -> {
            try (Scope scope = maybeScope(captured)) {
                return task.call();
            }
        };
    }

    @Override
    public Runnable wrap(Runnable task) {
        TraceContext captured = context();
        return () -> {
            try (Scope scope = maybeScope(captured)) {
                task.run();
            }
        };
    }

    @Override
    public Executor wrap(Executor delegate) {
        return task -> delegate.execute(wrap(task));
    }

    @Override
    public ExecutorService wrap(ExecutorService delegate) {
        return new TraceContextExecutorService(this, delegate);
    }

    private static final class RevertingScope implements Scope {

        private final Holder holder;

        private final TraceContext previous;

        private final TraceContext context;

        private final Runnable[] undo;

        private boolean closed;

        RevertingScope(Holder holder, TraceContext previous, TraceContext context, Runnable[] undo) {
            this.holder = holder;
            this.previous = previous;
            this.context = context;
            this.undo = undo;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (undo != null) {
                for (int i = undo.length - 1; i >= 0; i--) {
                    if (undo[i] != null) {
                        undo[i].run();
                    }
                }
            }
            holder.context = previous;
        }

        @Override
        public String toString() {
            return "Scope{" + context + "}";
        }
    }
}
