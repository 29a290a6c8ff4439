package dev.tracing.instrument.web;

import java.io.IOException;
import java.util.Collections;

import dev.tracing.instrument.http.HttpSpanPolicy;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.util.DisconnectedClientHelper;

/**
 * Gives each incoming servlet (Spring MVC) request a SERVER span, through the same
 * {@link HttpSpanPolicy} as the WebFlux filter, and makes it the current span (thread-local and
 * MDC) while the request is handled, so logs and outgoing RestTemplate/RestClient calls join the
 * trace.
 *
 * <p>Design notes: an asynchronous request ({@code Callable}, {@code DeferredResult}) leaves this
 * filter before it is done; the span then ends from an {@link AsyncListener} when the async
 * processing completes, fails or times out, and the container's dispatch of the async result
 * runs with the span current again. The scope is always closed on the thread that
 * opened it: before this filter returns, or, when the request failed and a container hook runs
 * around the filter chain, after the container has logged the failure ({@link FailedRequestScope}).
 */
public final class TraceServletFilter extends OncePerRequestFilter {

    /** Request attribute holding the request's SERVER span. */
    public static final String SPAN_ATTRIBUTE = TraceServletFilter.class.getName() + ".span";

    private static final Propagator.Getter<HttpServletRequest> GETTER = new Propagator.Getter<>() {
        @Override
        public String get(HttpServletRequest request, String key) {
            return request.getHeader(key);
        }

        @Override
        public Iterable<String> getAll(HttpServletRequest request, String key) {
            return Collections.list(request.getHeaders(key));
        }
    };

    private static final HttpSpanPolicy.RequestReader<HttpServletRequest> READER = new HttpSpanPolicy.RequestReader<>() {
        @Override
        public String clientAddress(HttpServletRequest request) {
            return request.getRemoteAddr();
        }

        @Override
        public String header(HttpServletRequest request, String name) {
            return request.getHeader(name);
        }
    };

    /** Request attribute holding the exception Spring MVC gave its resolvers ({@link HandledExceptionRecorder}). */
    static final String HANDLED_EXCEPTION_ATTRIBUTE = TraceServletFilter.class.getName() + ".handledException";

    /** Request attribute holding the listener that ends the SERVER span of an async request when it completes. */
    private static final String ASYNC_SPAN_ATTRIBUTE = TraceServletFilter.class.getName() + ".asyncSpan";

    /** Request attribute holding the context a skipped request runs in, for its async and error dispatches. */
    private static final String UNTRACED_ATTRIBUTE = TraceServletFilter.class.getName() + ".untraced";

    /** What {@link #start} returns for a request the skip pattern leaves out. */
    private static final Span SKIPPED = Span.NOOP;

    private final Tracer tracer;

    private final Propagator propagator;

    private final HttpSpanPolicy policy;

    public TraceServletFilter(Tracer tracer, Propagator propagator, HttpSpanPolicy policy) {
        this.tracer = tracer;
        this.propagator = propagator;
        this.policy = policy;
    }

    @Override
    protected boolean shouldNotFilterErrorDispatch() {
        // the error page runs in the request's trace
        return false;
    }

    @Override
    protected boolean shouldNotFilterAsyncDispatch() {
        // the dispatch that finishes an async request (exception handlers, the response body) runs in its span
        return false;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (request.getDispatcherType() == DispatcherType.ERROR) {
            // the error page (Spring Security's filters run again there) belongs to the request, its span ended
            inContext(request, response, chain, errorPageContext(request));
            return;
        }
        boolean asyncDispatch = isAsyncDispatch(request);
        EndOnCompletion async = asyncDispatch ? asyncOf(request) : null;
        Span span = asyncDispatch ? (async != null ? async.span : null) : start(request, response);
        if (span == SKIPPED) {
            TraceContext untraced = policy.untracedContext();
            if (untraced != null) {
                request.setAttribute(UNTRACED_ATTRIBUTE, untraced);
            }
            inContext(request, response, chain, untraced);
            return;
        }
        if (asyncDispatch && async == null) {
            // the dispatch that finishes a skipped async request runs in the context its first dispatch had
            inContext(request, response, chain, untracedContextOf(request));
            return;
        }
        if (span == null) {
            chain.doFilter(request, response);
            return;
        }
        Throwable error = null;
        Tracer.SpanInScope ws = tracer.withSpan(span);
        try {
            chain.doFilter(request, response);
        }
        catch (IOException | ServletException | RuntimeException | Error ex) {
            error = ex;
            throw ex;
        }
        finally {
            // the container logs an exception after this filter returns: keep the span current for that line
            if (error == null || !FailedRequestScope.keep(ws)) {
                ws.close();
            }
            // after an async dispatch the listener ends the span; the container hands it what the dispatch threw
            if (asyncDispatch) {
                async.routeSoFar(request);
            }
            else if (error == null && request.isAsyncStarted()) {
                EndOnCompletion listener = new EndOnCompletion(span, request, response);
                listener.routeSoFar(request);
                request.setAttribute(ASYNC_SPAN_ATTRIBUTE, listener);
                request.getAsyncContext().addListener(listener);
            }
            else {
                end(span, request, response, error,
                        request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE));
            }
        }
    }

    /** The async request an async dispatch continues: one that waits to complete, never an ended one. */
    private static EndOnCompletion asyncOf(HttpServletRequest request) {
        return request.getAttribute(ASYNC_SPAN_ATTRIBUTE) instanceof EndOnCompletion async ? async : null;
    }

    /**
     * Runs the chain in {@code context}, or as it is when null. A request the skip pattern leaves out runs
     * in a trace context that is not sampled, when the policy gives one: what runs inside it (Spring
     * Security's Observations of a health probe, a call a health indicator makes) starts no trace of its
     * own either.
     */
    private void inContext(HttpServletRequest request, HttpServletResponse response, FilterChain chain,
            TraceContext context) throws ServletException, IOException {
        if (context == null) {
            chain.doFilter(request, response);
            return;
        }
        try (CurrentTraceContext.Scope scope = tracer.currentTraceContext().newScope(context)) {
            chain.doFilter(request, response);
        }
    }

    /**
     * The context an error page runs in: its request's span's, or the one a skipped request ran in; for
     * a request the container answered before any filter (a path under {@code /WEB-INF}, a scanner's), an
     * unsampled one, so that the error page starts no trace either.
     */
    private TraceContext errorPageContext(HttpServletRequest request) {
        if (request.getAttribute(SPAN_ATTRIBUTE) instanceof Span span) {
            return span.context();
        }
        TraceContext skipped = untracedContextOf(request);
        return skipped != null ? skipped : policy.untracedContext();
    }

    /** The context a skipped request ran in, for its later dispatches; null when it was not skipped. */
    private static TraceContext untracedContextOf(HttpServletRequest request) {
        return request.getAttribute(UNTRACED_ATTRIBUTE) instanceof TraceContext untraced ? untraced : null;
    }

    /**
     * Returns the request's SERVER span, {@link #SKIPPED} when the skip pattern leaves the request out,
     * or null when tracing failed.
     */
    private Span start(HttpServletRequest request, HttpServletResponse response) {
        try {
            String path = pathWithinApplication(request);
            if (policy.skip(path)) {
                return SKIPPED;
            }
            // Tomcat decodes the query into a new String on each call: read it only when it is recorded
            String query = policy.recordsQuery() ? request.getQueryString() : null;
            Span span = policy.startServerSpan(propagator.extract(request, GETTER), request.getMethod(),
                    request.getScheme(), path, query, request.getServerName(), request, READER);
            request.setAttribute(SPAN_ATTRIBUTE, span);
            String header = policy.responseHeader();
            if (header != null) {
                response.setHeader(header, policy.responseHeaderValue(span.context()));
            }
            return span;
        }
        catch (RuntimeException ex) {
            // tracing never fails a request
            return null;
        }
    }

    /** The request URI without the context path (still encoded, as {@code url.path} wants it). */
    private static String pathWithinApplication(HttpServletRequest request) {
        String uri = request.getRequestURI();
        String contextPath = request.getContextPath();
        return contextPath != null && !contextPath.isEmpty() && uri.startsWith(contextPath)
                ? uri.substring(contextPath.length()) : uri;
    }

    private void end(Span span, HttpServletRequest request, HttpServletResponse response, Throwable error,
            Object route) {
        try {
            // the client went away while its response was written (a reset, a broken pipe): no server error, as
            // on WebFlux. Only once the response is committed: before, such an exception is the application's
            // own I/O failing (a downstream connection reset), and the 500 it gives is the client's answer
            boolean committed = response.isCommitted();
            boolean cancelled = false;
            if (error != null && committed && DisconnectedClientHelper.isClientDisconnectedException(error)) {
                error = null;
                cancelled = true;
            }
            int status = error != null && !committed ? 500 : response.getStatus();
            // what an @ExceptionHandler or a resolver turned into a response: Spring MVC keeps it when the
            // handler wrote a body, our recorder whatever the handler did
            Object handled = null;
            if (error == null) {
                handled = request.getAttribute(HANDLED_EXCEPTION_ATTRIBUTE);
                if (handled == null) {
                    handled = request.getAttribute(DispatcherServlet.EXCEPTION_ATTRIBUTE);
                }
                if (committed && handled instanceof Throwable failure
                        && DisconnectedClientHelper.isClientDisconnectedException(failure)) {
                    // Spring MVC answers a write to a client that went away (AsyncRequestNotUsableException) itself
                    handled = null;
                    cancelled = true;
                }
            }
            policy.endServerSpan(span, request.getMethod(), route == null ? null : route.toString(), status,
                    thrownByTheApplication(error), handled instanceof Throwable failure ? failure : null, cancelled);
        }
        catch (RuntimeException ex) {
            span.end();
        }
    }

    /**
     * The exception the application threw, without the container's and Spring's wrappers
     * ({@code ServletException: Request processing failed: ...}).
     */
    static Throwable thrownByTheApplication(Throwable error) {
        Throwable cause = error;
        for (int i = 0; i < 8 && cause instanceof ServletException && cause.getCause() != null; i++) {
            cause = cause.getCause();
        }
        return cause;
    }

    /**
     * Ends the span when the async processing of the request is over, with the route its dispatches
     * matched: by then the container may have forwarded the request to its error page (Boot's
     * {@code /error}), whose mapping replaced the route in the request.
     */
    private final class EndOnCompletion implements AsyncListener {

        private final Span span;

        private final HttpServletRequest request;

        private final HttpServletResponse response;

        private volatile Throwable error;

        private volatile Object route;

        /** Notes the route a dispatch of the request matched, as it leaves this filter. */
        void routeSoFar(HttpServletRequest dispatched) {
            Object matched = dispatched.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
            if (matched != null) {
                route = matched;
            }
        }

        EndOnCompletion(Span span, HttpServletRequest request, HttpServletResponse response) {
            this.span = span;
            this.request = request;
            this.response = response;
        }

        @Override
        public void onComplete(AsyncEvent event) {
            Object matched = route;
            end(span, request, response, error,
                    matched != null ? matched : request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE));
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            error = event.getThrowable();
        }

        @Override
        public void onError(AsyncEvent event) {
            error = event.getThrowable();
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            event.getAsyncContext().addListener(this);
        }
    }
}
