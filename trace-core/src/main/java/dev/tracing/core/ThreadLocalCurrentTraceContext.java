package dev.tracing.core;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.tracing.internal.Failures;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.TraceContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The current trace context of each thread, with decorators (MDC) run as scopes open and close.
 *
 * <p>Design notes: each thread keeps one mutable holder in its {@link ThreadLocal}, so opening
 * and closing a scope is a field write rather than a {@code ThreadLocal.set}, which would touch
 * the thread's hash table each time. The thread-local is static: instances differ only in their
 * decorators. A scope restores exactly the context that was current
 * when it opened; scopes are meant to close in reverse order on the thread that opened them. One
 * closed while scopes opened after it are still open (out of order, or those were never closed)
 * puts back what it found and ends those scopes too, running their decorators' undos (an
 * {@link ScopeDecorator.Undo} hears of it): closing them later changes nothing. So once
 * the outermost scope is closed, none of them is left to the thread's next task (Brave and
 * OpenTelemetry, closing a later scope, put back the context of the earlier one, already closed:
 * two requests whose scopes interleave on one event loop leave one's trace on it). Each scope links
 * the one it opened inside, up to {@value #MAX_LINKED_DEPTH} deep, so that scopes never closed
 * are not held forever; a scope closed out of order that the links no longer reach puts back what
 * it found and ends nothing, as before. A scope
 * closed on another thread is ignored (logged once, at warn, and told to the decorators' undos
 * that are a {@link ScopeDecorator.Undo}): putting back the opening thread's context from there
 * would race with that thread, whose MDC only it can write, and undoing the decorators there would
 * put the opening thread's MDC values into the closing thread's. The opening thread keeps the
 * context until it closes the scope itself, or a scope it opened before closes.
 */
public final class ThreadLocalCurrentTraceContext implements CurrentTraceContext {

    private static final class Holder {

        /**
         * The id of the thread whose holder this is: a scope closes only there. Not the thread itself,
         * which would keep its entry in {@link #holders} (weak keys, strong values) alive.
         */
        final long threadId = Thread.currentThread().getId();

        TraceContext context;

        /** The latest scope opened on this thread and still open; null when none is. */
        RevertingScope top;

        /** What {@link #push} replaced, in pairs (previous context, undo), for {@link #pop}; null until first used. */
        Object[] pushed;

        int pushedSize;

    }

    private static final Logger logger = LoggerFactory.getLogger(ThreadLocalCurrentTraceContext.class);

    private static final AtomicBoolean loggedFailure = new AtomicBoolean();

    private static final AtomicBoolean loggedForeignClose = new AtomicBoolean();

    private static final AtomicBoolean loggedOutOfOrderClose = new AtomicBoolean();

    /** How many open scopes a scope's links reach at most: scopes never closed are let go beyond it. */
    static final int MAX_LINKED_DEPTH = 128;

    /**
     * Shared by every instance, as Brave's default is: the thread's current span is one fact,
     * whichever instance (or Reactor's context propagation, through whichever registered
     * accessor) reads or writes it.
     */
    private static final ThreadLocal<Holder> local = ThreadLocal.withInitial(ThreadLocalCurrentTraceContext::register);

    /**
     * Every platform thread's holder, for {@link #threadsWithAContext()}. Weak keys: a thread that
     * ends takes its entry with it. Written once per thread, when it first touches the current
     * context. Virtual threads are left out: one per task (a request, with Spring Boot's virtual
     * threads) would take this lock and leave a weak reference for the collector every time, which
     * cost several times a scope's work. A context a virtual thread keeps ends with the thread; one a
     * long-lived virtual thread keeps (a consumer loop) goes uncounted.
     */
    private static final Map<Thread, Holder> holders = new WeakHashMap<>();

    /** {@code Thread.isVirtual()}, on a JDK that has it (21 and later); null before. */
    private static final MethodHandle isVirtual = isVirtualHandle();

    private static Holder register() {
        Holder holder = new Holder();
        Thread thread = Thread.currentThread();
        if (!isVirtual(thread)) {
            synchronized (holders) {
                holders.put(thread, holder);
            }
        }
        return holder;
    }

    private static MethodHandle isVirtualHandle() {
        try {
            return MethodHandles.publicLookup()
                .findVirtual(Thread.class, "isVirtual", MethodType.methodType(boolean.class));
        }
        catch (ReflectiveOperationException ex) {
            return null;
        }
    }

    static boolean isVirtual(Thread thread) {
        if (isVirtual == null) {
            return false;
        }
        try {
            return (boolean) isVirtual.invokeExact(thread);
        }
        catch (Throwable ex) {
            return false;
        }
    }

    /**
     * The names of live platform threads that have a current trace context now (virtual threads are
     * not tracked). Once an application is idle, every name here is a thread that kept a span after
     * its work was done: a leak. Meant for diagnostics (a soak test, a metric): it reads other
     * threads' holders without synchronizing with them, so a thread that is busy right now may be
     * seen a moment late.
     */
    public static List<String> threadsWithAContext() {
        List<String> names = new ArrayList<>();
        synchronized (holders) {
            for (Map.Entry<Thread, Holder> entry : holders.entrySet()) {
                Thread thread = entry.getKey();
                if (thread != null && thread.isAlive() && entry.getValue().context != null) {
                    names.add(thread.getName());
                }
            }
        }
        return names;
    }

    private final ScopeDecorator[] decorators;

    /** Creates a current-context with no decorators. */
    public ThreadLocalCurrentTraceContext() {
        this(List.of());
    }

    /** Creates a current-context that runs {@code decorators} in order as scopes open. */
    public ThreadLocalCurrentTraceContext(List<? extends ScopeDecorator> decorators) {
        this.decorators = decorators.toArray(new ScopeDecorator[0]);
    }

    /** The baggage fields an {@link MdcScopeDecorator} of this current-context copies into the MDC. */
    Set<String> mdcFields() {
        Set<String> fields = new HashSet<>();
        for (ScopeDecorator decorator : decorators) {
            if (decorator instanceof MdcScopeDecorator mdc) {
                fields.addAll(mdc.correlationFields());
            }
        }
        return fields;
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
        RevertingScope scope = new RevertingScope(holder, previous, context, decorateAll(context), holder.top);
        holder.top = scope;
        return scope;
    }

    /**
     * Makes {@code context} current on this thread until the matching {@link #pop()}, as a scope
     * would, without a scope object: for context-propagation's accessor, which sets and puts back
     * the current context many times per request, always in reverse order on the same thread.
     * Pushing the context the thread already has changes nothing (and still needs its pop).
     */
    public void push(TraceContext context) {
        Holder holder = local.get();
        TraceContext previous = holder.context;
        Object undo = null;
        if (context != previous) {
            holder.context = context;
            undo = decorateAll(context);
        }
        Object[] pushed = holder.pushed;
        int size = holder.pushedSize;
        if (pushed == null || size == pushed.length) {
            pushed = Arrays.copyOf(pushed == null ? new Object[0] : pushed, Math.max(8, size * 2));
            holder.pushed = pushed;
        }
        pushed[size] = previous;
        pushed[size + 1] = undo;
        holder.pushedSize = size + 2;
    }

    /** Puts back what the latest {@link #push} on this thread replaced; does nothing without one. */
    public void pop() {
        Holder holder = local.get();
        int size = holder.pushedSize;
        if (size == 0) {
            return;
        }
        Object[] pushed = holder.pushed;
        TraceContext previous = (TraceContext) pushed[size - 2];
        Object undo = pushed[size - 1];
        pushed[size - 2] = null;
        pushed[size - 1] = null;
        holder.pushedSize = size - 2;
        holder.context = previous;
        undo(undo);
    }

    /**
     * Runs the decorators for {@code context}; returns what undoes them: null, one decorator's undo
     * (the usual case, the MDC alone, kept as it is without an array around it), or several in
     * decorator order.
     */
    private Object decorateAll(TraceContext context) {
        if (decorators.length == 0) {
            return null;
        }
        if (decorators.length == 1) {
            return decorate(decorators[0], context);
        }
        Runnable[] undo = null;
        for (int i = 0; i < decorators.length; i++) {
            Runnable u = decorate(decorators[i], context);
            if (u != null) {
                if (undo == null) {
                    undo = new Runnable[decorators.length];
                }
                undo[i] = u;
            }
        }
        return undo;
    }

    /** Runs what {@link #decorateAll} returned, in reverse decorator order. */
    private static void undo(Object undo) {
        undo(undo, false);
    }

    /**
     * Runs what {@link #decorateAll} returned, in reverse decorator order; {@code ended} when the
     * scope is ended by the close of a scope opened before it, which an {@link ScopeDecorator.Undo}
     * hears of.
     */
    private static void undo(Object undo, boolean ended) {
        if (undo instanceof Runnable) {
            runUndo((Runnable) undo, ended);
        }
        else if (undo != null) {
            Runnable[] all = (Runnable[]) undo;
            for (int i = all.length - 1; i >= 0; i--) {
                if (all[i] != null) {
                    runUndo(all[i], ended);
                }
            }
        }
    }

    private static void runUndo(Runnable undo, boolean ended) {
        try {
            if (ended && undo instanceof ScopeDecorator.Undo told) {
                told.endedByEnclosingScope();
            }
            else {
                undo.run();
            }
        }
        catch (Throwable ex) {
            // a decorator's failure (an AssertionError of a test's own too) never reaches the code closing the scope
            Failures.rethrowIfFatal(ex);
            failed(undo, ex);
        }
    }

    /** Runs a decorator; one that throws is skipped, so the scope still opens and closes. */
    private static Runnable decorate(ScopeDecorator decorator, TraceContext context) {
        try {
            return decorator.decorate(context);
        }
        catch (RuntimeException | LinkageError ex) {
            failed(decorator, ex);
            return null;
        }
    }

    private static void failed(Object what, Throwable ex) {
        if (loggedFailure.compareAndSet(false, true) && logger.isDebugEnabled()) {
            logger.debug("Scope decorator " + what + " failed; further failures are not logged", ex);
        }
    }

    /**
     * A scope was closed on a thread other than the one that opened it: nothing changes but that its
     * {@link ScopeDecorator.Undo}s hear of it, and the first is logged.
     */
    private static void closedElsewhere(RevertingScope scope) {
        Thread closer = Thread.currentThread();
        if (scope.undo instanceof Runnable[] all) {
            for (Runnable undo : all) {
                tellClosedElsewhere(undo, closer);
            }
        }
        else {
            tellClosedElsewhere((Runnable) scope.undo, closer);
        }
        if (loggedForeignClose.compareAndSet(false, true)) {
            logger.warn("{} was closed on thread {} (id {}), not on the thread of id {}, which opened it: ignored, "
                    + "and the opening thread keeps the context until it closes the scope or an enclosing one; close "
                    + "a scope on the thread that opened it. Further such closes are not logged", scope,
                    closer.getName(), closer.getId(), scope.holder.threadId,
                    new IllegalStateException("closed here"));
        }
    }

    private static void closedOutOfOrder(RevertingScope scope) {
        if (loggedOutOfOrderClose.compareAndSet(false, true) && logger.isDebugEnabled()) {
            logger.debug("{} was closed while scopes opened after it on its thread were open: it put back what it "
                    + "found, and they were ended and undone. Further such closes are not logged", scope,
                    new IllegalStateException("closed here"));
        }
    }

    /** Lets the next scope closed on another thread be logged again: for tests, each of which expects its own. */
    static void forgetLoggedForeignClose() {
        loggedForeignClose.set(false);
    }

    private static void tellClosedElsewhere(Runnable undo, Thread closer) {
        if (undo instanceof ScopeDecorator.Undo told) {
            try {
                told.closedOnAnotherThread(closer);
            }
            catch (RuntimeException | LinkageError ex) {
                failed(told, ex);
            }
        }
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

        /** What {@link #decorateAll} returned. */
        private final Object undo;

        /**
         * The thread's latest open scope when this opened, while fewer than {@link #MAX_LINKED_DEPTH}
         * enclose this; null otherwise.
         */
        private final RevertingScope enclosing;

        /** How many open scopes this links, itself included. */
        private final int depth;

        /** Closed by its thread, or ended by the close of a scope it was opened inside. */
        private boolean closed;

        RevertingScope(Holder holder, TraceContext previous, TraceContext context, Object undo,
                RevertingScope enclosing) {
            this.holder = holder;
            this.previous = previous;
            this.context = context;
            this.undo = undo;
            boolean linked = enclosing != null && enclosing.depth < MAX_LINKED_DEPTH;
            this.enclosing = linked ? enclosing : null;
            this.depth = linked ? enclosing.depth + 1 : 1;
        }

        @Override
        public void close() {
            // read first: a scope its own thread closed is closed for every thread (a stale read from another
            // thread sees it open, and is ignored below as any close there is)
            if (closed) {
                return;
            }
            if (holder.threadId != Thread.currentThread().getId()) {
                closedElsewhere(this);
                return;
            }
            closed = true;
            RevertingScope top = holder.top;
            if (top != this && !encloses(top)) {
                // beyond the linked depth (scopes never closed in between): what it found is put back, and the
                // scopes the links reach are left as they are
                holder.context = previous;
                undo(undo);
                return;
            }
            RevertingScope enclosing = this.enclosing;
            while (enclosing != null && enclosing.closed) {
                // only beyond the linked depth, where a scope can be ended without this one hearing of it
                enclosing = enclosing.enclosing;
            }
            // the thread's state first: an undo that fails leaves no context behind
            holder.top = enclosing;
            holder.context = previous;
            if (top != this) {
                // scopes opened after this one are still open: they end with it, undone the latest first
                closedOutOfOrder(this);
                for (; top != this; top = top.enclosing) {
                    top.closed = true;
                    undo(top.undo, true);
                }
            }
            undo(undo);
        }

        /** Whether this scope is among those {@code top}'s links reach: opened before it, and still open. */
        private boolean encloses(RevertingScope top) {
            for (RevertingScope scope = top; scope != null; scope = scope.enclosing) {
                if (scope == this) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String toString() {
            return "Scope{" + context + "}";
        }
    }
}
