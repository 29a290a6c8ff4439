package dev.tracing.core;

import io.micrometer.tracing.TraceContext;

/**
 * Adds work to opening and closing a scope, such as writing the trace ids into the logging MDC.
 *
 * <p>A scope closes on the thread that opened it. A close on any other thread is ignored, and
 * the undo does not run there (an MDC is the opening thread's own); an undo that is an
 * {@link Undo} is told of it instead. Each undo runs once: a scope still open when a scope opened
 * before it on its thread closes is ended with that one, its undo run then (an {@link Undo} is told
 * of it), and its own later close changes nothing.
 */
@FunctionalInterface
public interface ScopeDecorator {

    /**
     * Called when {@code context} (null when a scope clears the current context) becomes current;
     * returns what undoes it when the scope closes, or null when there is nothing to undo.
     */
    Runnable decorate(TraceContext context);

    /**
     * An undo that also hears of its scope being closed on another thread, where nothing was undone,
     * and of its scope being ended by the close of a scope opened before it.
     */
    interface Undo extends Runnable {

        /**
         * The scope was closed on {@code closer}, not on the thread that opened it: the close was
         * ignored, and the scope is still open there.
         */
        void closedOnAnotherThread(Thread closer);

        /**
         * The scope was still open when a scope opened before it on its thread closed: it is ended
         * with that one, on the thread that opened it, and undone now (which is what this does
         * unless overridden); a later close of its own changes nothing.
         */
        default void endedByEnclosingScope() {
            run();
        }

    }
}
