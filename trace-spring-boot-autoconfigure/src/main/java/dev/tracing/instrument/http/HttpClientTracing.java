package dev.tracing.instrument.http;

import java.net.URI;
import java.util.List;
import java.util.function.BiConsumer;

import dev.tracing.internal.TraceHeaderNames;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;

/**
 * What every HTTP client adapter (WebClient, RestTemplate, RestClient) does around a request:
 * start a CLIENT span under the right parent, write its headers, and end it through the
 * {@link HttpSpanPolicy}.
 */
public final class HttpClientTracing {

    private final Tracer tracer;

    private final Propagator propagator;

    private final HttpSpanPolicy policy;

    /** The header names this tracer propagates, then the trace headers of every other format we know. */
    private final List<String> replaced;

    public HttpClientTracing(Tracer tracer, Propagator propagator, HttpSpanPolicy policy) {
        this.tracer = tracer;
        this.propagator = propagator;
        this.policy = policy;
        this.replaced = TraceHeaderNames.replacedBy(propagator.fields());
    }

    /**
     * Starts the CLIENT span of a request made with {@code uriTemplate} (null for none), a child of
     * {@code parent} or, when null, of the current span (or a new trace), and writes its context
     * into {@code carrier}. Trace headers already there are removed first (see {@link #inject}), so
     * the request carries exactly one set. When writing fails, the span is abandoned (not left
     * open) and the failure thrown: the caller sends the request without a span.
     */
    public <C> Span start(TraceContext parent, String method, URI uri, String uriTemplate, C carrier,
            BiConsumer<C, String> remove, Propagator.Setter<C> setter) {
        Span span = start(parent, method, uri, uriTemplate);
        try {
            inject(span, carrier, remove, setter);
        }
        catch (RuntimeException ex) {
            span.abandon();
            throw ex;
        }
        return span;
    }

    /**
     * Starts the CLIENT span of a request made with {@code uriTemplate} (null for none), named by
     * the template's path; {@link #inject} then writes it into the request.
     */
    public Span start(TraceContext parent, String method, URI uri, String uriTemplate) {
        TraceContext resolved = parent != null ? parent : tracer.currentTraceContext().context();
        Span.Builder builder = tracer.spanBuilder();
        if (resolved != null) {
            builder.setParent(resolved);
        }
        else {
            builder.setNoParent();
        }
        return policy.startClientSpan(builder, method, uri, uriTemplate);
    }

    /**
     * Writes {@code span}'s context into {@code carrier}, after removing every header name this
     * tracer propagates and the trace headers of the other formats we know (a gateway passing its
     * caller's headers on would send a stale {@code b3} beside our {@code traceparent}), so the
     * request carries exactly one set.
     */
    public <C> void inject(Span span, C carrier, BiConsumer<C, String> remove, Propagator.Setter<C> setter) {
        // by index: no iterator per request
        List<String> names = replaced;
        for (int i = 0; i < names.size(); i++) {
            remove.accept(carrier, names.get(i));
        }
        propagator.inject(span.context(), carrier, setter);
    }

    /** The header names {@link #inject} removes: those this tracer propagates and every known trace header. */
    public List<String> replacedHeaders() {
        return replaced;
    }

    /** Tags and ends a CLIENT span; {@code status} 0 when no response arrived. */
    public void end(Span span, int status, Throwable error, boolean cancelled) {
        policy.endClientSpan(span, status, error, cancelled);
    }
}
