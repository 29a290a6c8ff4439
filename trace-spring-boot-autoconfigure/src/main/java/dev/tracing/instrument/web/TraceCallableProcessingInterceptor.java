package dev.tracing.instrument.web;

import java.util.concurrent.Callable;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;

import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.async.CallableProcessingInterceptor;

/**
 * Makes the span current where a Spring MVC handler's {@code Callable} was returned (the request's
 * SERVER span, or a span the handler opened) current again while the {@code Callable} runs, on
 * whatever executor Spring MVC runs it: {@code Callable}, {@code WebAsyncTask} and
 * {@code StreamingResponseBody} results. Spring Boot's task executor carries the context itself;
 * an application that declares its own executor bean leaves Spring MVC on a private executor of
 * its own, which nothing else reaches.
 */
public final class TraceCallableProcessingInterceptor implements CallableProcessingInterceptor {

    private static final String SPAN_ATTRIBUTE = TraceCallableProcessingInterceptor.class.getName() + ".span";

    /**
     * The scope {@link #preProcess} opened, closed by {@link #postProcess} on the same thread. Not a
     * request attribute: a {@code Callable} that outlives the async timeout finishes after the request
     * was recycled, whose attributes then throw, and the scope would stay open on the pooled thread.
     */
    private static final ThreadLocal<Tracer.SpanInScope> scopes = new ThreadLocal<>();

    private final Tracer tracer;

    public TraceCallableProcessingInterceptor(Tracer tracer) {
        this.tracer = tracer;
    }

    @Override
    public <T> void beforeConcurrentHandling(NativeWebRequest request, Callable<T> task) {
        Span span = tracer.currentSpan();
        if (span != null) {
            request.setAttribute(SPAN_ATTRIBUTE, span, RequestAttributes.SCOPE_REQUEST);
        }
    }

    @Override
    public <T> void preProcess(NativeWebRequest request, Callable<T> task) {
        try {
            if (request.getAttribute(SPAN_ATTRIBUTE, RequestAttributes.SCOPE_REQUEST) instanceof Span span) {
                scopes.set(tracer.withSpan(span));
            }
        }
        catch (RuntimeException ex) {
            // tracing never fails a request (nor does a request that timed out before its task started)
        }
    }

    @Override
    public <T> void postProcess(NativeWebRequest request, Callable<T> task, Object concurrentResult) {
        Tracer.SpanInScope scope = scopes.get();
        if (scope != null) {
            scopes.remove();
            try {
                scope.close();
            }
            catch (RuntimeException ex) {
                // idem
            }
        }
    }

}
