package dev.tracing.core;

import io.micrometer.tracing.TraceContext;

/**
 * Adds work to opening and closing a scope, such as writing the trace ids into the logging MDC.
 */
@FunctionalInterface
public interface ScopeDecorator {

    /**
     * Called when {@code context} (null when a scope clears the current context) becomes current;
     * returns what undoes it when the scope closes, or null when there is nothing to undo.
     */
    Runnable decorate(TraceContext context);
}
