package dev.tracing.test;

import java.security.CodeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.tracing.autoconfigure.TraceAutoConfiguration;
import dev.tracing.core.ScopeDecorator;
import dev.tracing.core.SpanLifecycle;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.exporter.FinishedSpan;

/**
 * Finds what a test leaves behind: spans started and never ended, scopes opened and never
 * closed, scopes still open when a scope opened before them closed, and scopes closed on another
 * thread than the one that opened them (as Brave's
 * {@code StrictCurrentTraceContext} does for scopes). Each is remembered with the thread and the
 * stack that started or opened it, so the failure says where to look.
 *
 * <p>The tracer tells it of spans ({@link SpanLifecycle}) and the current-context of scopes
 * ({@link ScopeDecorator}); in a Spring Boot test both come from this bean, and
 * {@link TraceTestExecutionListener} calls {@link #reset()} before each test method and
 * {@link #check(Duration)} after it. An open span (which may end on another thread just after the
 * test's last request returned: a server finishing its response, a client span completing on a
 * Netty thread), or a scope opened on another thread, is given {@code grace} to end before it
 * counts as left open.
 *
 * <p>Design notes: remembering where each span and scope began costs a stack trace each, which
 * is why this is a test tool only.
 */
public final class StrictTracing implements SpanLifecycle, ScopeDecorator {

    /** How long a check waits for open spans and other threads' scopes to end, without a choice. */
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(2);

    private final Map<FinishedSpan, Opened> openSpans = new IdentityHashMap<>();

    private final Map<Opened, Opened> openScopes = new IdentityHashMap<>();

    private final List<String> misuses = new ArrayList<>();

    @Override
    public void started(FinishedSpan span) {
        synchronized (this) {
            openSpans.put(span, new Opened("span \"" + span.getName() + "\" (" + span.getTraceId() + "/"
                    + span.getSpanId() + ")", "started"));
        }
    }

    @Override
    public void ended(FinishedSpan span) {
        synchronized (this) {
            openSpans.remove(span);
            notifyAll();
        }
    }

    @Override
    public Runnable decorate(TraceContext context) {
        String what = context == null ? "scope clearing the trace context"
                : "scope of " + context.traceId() + "/" + context.spanId();
        Opened scope = new Opened(what, "opened");
        synchronized (this) {
            openScopes.put(scope, scope);
        }
        return new Undo() {
            @Override
            public void run() {
                closed(scope, Thread.currentThread());
            }

            @Override
            public void closedOnAnotherThread(Thread closer) {
                closed(scope, closer);
            }

            @Override
            public void endedByEnclosingScope() {
                ended(scope);
            }
        };
    }

    private synchronized void ended(Opened scope) {
        if (openScopes.remove(scope) != null) {
            misuses.add(scope.what + " was opened on thread " + scope.thread.getName() + " and still open when a "
                    + "scope opened before it closed, which ended it; close scopes in the reverse order of opening, "
                    + "each in try-with-resources. Opened at:" + System.lineSeparator() + scope.where());
        }
        notifyAll();
    }

    private synchronized void closed(Opened scope, Thread closer) {
        // reported as closed elsewhere, not as never closed (its thread still has its context: the tracer
        // ignored that close, and TestTracer reports the context left on the thread)
        if (openScopes.remove(scope) != null && closer != scope.thread) {
            misuses.add(scope.what + " was opened on thread " + scope.thread.getName() + " and closed on "
                    + closer.getName() + "; a scope belongs to the thread that opened it. Opened at:"
                    + System.lineSeparator() + scope.where());
        }
        notifyAll();
    }

    /** Forgets everything seen so far: the start of a test. */
    public synchronized void reset() {
        openSpans.clear();
        openScopes.clear();
        misuses.clear();
    }

    /**
     * What the test left behind, waiting up to {@code grace} for spans and scopes of other threads
     * to end; an empty list when nothing was. What is reported is forgotten.
     */
    public List<String> check(Duration grace) {
        Thread self = Thread.currentThread();
        long deadline = System.nanoTime() + grace.toNanos();
        synchronized (this) {
            while (mayStillEnd(self)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            List<String> problems = new ArrayList<>(misuses);
            for (Opened span : openSpans.values()) {
                problems.add(span.what + " was started on thread " + span.thread.getName()
                        + " and never ended (call end() or abandon() on every span you start). Started at:"
                        + System.lineSeparator() + span.where());
            }
            for (Opened scope : openScopes.values()) {
                problems.add(scope.what + " was opened on thread " + scope.thread.getName()
                        + " and never closed (open scopes in try-with-resources). Opened at:"
                        + System.lineSeparator() + scope.where());
            }
            openSpans.clear();
            openScopes.clear();
            misuses.clear();
            return problems;
        }
    }

    /**
     * Whether something may still end by itself: any open span (one started on the test thread may
     * end on another, as a WebClient call whose response completes on a Netty thread after
     * {@code block()} returned), or a scope opened on another thread.
     */
    private boolean mayStillEnd(Thread self) {
        if (!openSpans.isEmpty()) {
            return true;
        }
        for (Opened scope : openScopes.values()) {
            if (scope.thread != self) {
                return true;
            }
        }
        return false;
    }

    /** Something begun on a thread, with the stack that began it. */
    private static final class Opened {

        final String what;

        final Thread thread = Thread.currentThread();

        final Throwable stack;

        Opened(String what, String verb) {
            this.what = what;
            this.stack = new Throwable(verb + " here");
        }

        /** The stack from the caller's first frame outside the tracer and this kit. */
        String where() {
            StringBuilder out = new StringBuilder();
            int shown = 0;
            boolean started = false;
            for (StackTraceElement frame : stack.getStackTrace()) {
                String type = frame.getClassName();
                if (!started && isTracing(type)) {
                    continue;
                }
                if (started && isTestRunner(type)) {
                    out.append("\t...").append(System.lineSeparator());
                    break;
                }
                started = true;
                out.append("\tat ").append(frame).append(System.lineSeparator());
                if (++shown == 12) {
                    out.append("\t...").append(System.lineSeparator());
                    break;
                }
            }
            return out.toString();
        }

        /** Whether a frame is the reflection and JUnit machinery that called the test method. */
        private static boolean isTestRunner(String className) {
            return className.startsWith("jdk.internal.reflect.") || className.startsWith("java.lang.reflect.")
                    || className.startsWith("org.junit.");
        }

        /**
         * Whether a frame is the tracer's, Micrometer's or this kit's rather than the caller's.
         * Classes are told apart by where they were loaded from, so a caller's own class in a
         * package of ours (this kit's tests) still counts as the caller.
         */
        private static boolean isTracing(String className) {
            if (className.startsWith("io.micrometer.")) {
                return true;
            }
            if (!className.startsWith("dev.tracing.")) {
                return false;
            }
            try {
                Class<?> type = Class.forName(className, false, StrictTracing.class.getClassLoader());
                return LIBRARY.contains(location(type));
            }
            catch (ClassNotFoundException | LinkageError ex) {
                return false;
            }
        }

        private static String location(Class<?> type) {
            CodeSource source = type.getProtectionDomain().getCodeSource();
            return (source != null && source.getLocation() != null) ? source.getLocation().toString() : "";
        }

        /** Where the tracer, its Spring integration and this kit were loaded from. */
        private static final Set<String> LIBRARY = Set.of(location(StrictTracing.class),
                location(dev.tracing.core.TraceTracer.class), location(TraceAutoConfiguration.class));

    }

}
