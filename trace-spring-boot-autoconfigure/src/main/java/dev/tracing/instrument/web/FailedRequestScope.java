package dev.tracing.instrument.web;

import io.micrometer.tracing.Tracer;

/**
 * Keeps the span of a request that failed current until the servlet container has logged the
 * failure, so the container's error line ({@code Servlet.service() ... threw exception}) carries
 * the request's trace and span ids like every other log line of the request.
 *
 * <p>A container hook that runs around the filter chain on the request's thread (on Tomcat,
 * {@link FailedRequestScopeValve}) calls {@link #enter()} before it and {@link #exit()} after
 * the container has handled the exception. Between the two, {@link TraceServletFilter} hands the
 * scope of a request that threw to this holder instead of closing it; {@code exit()} closes it,
 * on the same thread. Without a hook (another container, a war deployment) the filter closes its
 * scope as always.
 *
 * <p>Design notes: a container logs an exception that escaped the filter chain only after every
 * filter has returned, so no filter can keep its scope open over that line by itself. The holder
 * is one mutable object per thread that a hook has run on, so a request costs the hook one
 * thread-local read and two writes, and the filter nothing unless the request fails.
 */
public final class FailedRequestScope {

    private static final ThreadLocal<FailedRequestScope> CURRENT = new ThreadLocal<>();

    private int depth;

    private Tracer.SpanInScope kept;

    private FailedRequestScope() {
    }

    /**
     * Marks the calling thread as running the filter chain inside a hook that will call
     * {@link #exit()} on the returned holder once the container has handled the request.
     */
    public static FailedRequestScope enter() {
        FailedRequestScope holder = CURRENT.get();
        if (holder == null) {
            holder = new FailedRequestScope();
            CURRENT.set(holder);
        }
        holder.depth++;
        return holder;
    }

    /** Closes the scope of a failed request kept since the matching {@link #enter()}; never throws. */
    public void exit() {
        if (--depth > 0 || kept == null) {
            return;
        }
        Tracer.SpanInScope scope = kept;
        kept = null;
        try {
            scope.close();
        }
        catch (RuntimeException ex) {
            // tracing never fails a request
        }
    }

    /**
     * Keeps {@code scope} open until the hook's {@link #exit()}, or returns false when no hook
     * runs on this thread (or a scope is already kept) and the caller must close it itself.
     */
    static boolean keep(Tracer.SpanInScope scope) {
        FailedRequestScope holder = CURRENT.get();
        if (holder == null || holder.depth == 0 || holder.kept != null) {
            return false;
        }
        holder.kept = scope;
        return true;
    }

}
