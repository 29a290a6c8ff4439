package dev.tracing.instrument.web;

import java.io.IOException;

import dev.tracing.instrument.http.HttpSpanPolicy;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;

/**
 * Gives each RestTemplate and RestClient request a CLIENT span, a child of the current
 * (thread-local) span, and writes its context into the request headers.
 *
 * <p>Design notes: the span ends when the response arrives (its status is recorded) or the
 * exchange throws; the body is streamed afterwards by the caller, so reading it is not part of
 * the span. Header names this tracer propagates are replaced, never added to, so the request
 * carries exactly one set.
 */
public final class TraceClientHttpRequestInterceptor implements ClientHttpRequestInterceptor {

    private final Tracer tracer;

    private final Propagator propagator;

    private final HttpSpanPolicy policy;

    public TraceClientHttpRequestInterceptor(Tracer tracer, Propagator propagator, HttpSpanPolicy policy) {
        this.tracer = tracer;
        this.propagator = propagator;
        this.policy = policy;
    }

    @Override
    public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution)
            throws IOException {
        Span span;
        try {
            TraceContext parent = tracer.currentTraceContext().context();
            Span.Builder builder = tracer.spanBuilder();
            if (parent != null) {
                builder.setParent(parent);
            }
            else {
                builder.setNoParent();
            }
            span = policy.startClientSpan(builder, request.getMethod().name(), request.getURI());
            HttpHeaders headers = request.getHeaders();
            for (String field : propagator.fields()) {
                headers.remove(field);
            }
            propagator.inject(span.context(), headers, HttpHeaders::set);
        }
        catch (RuntimeException ex) {
            // tracing never fails a request
            return execution.execute(request, body);
        }
        int status = 0;
        Throwable error = null;
        try {
            ClientHttpResponse response = execution.execute(request, body);
            status = response.getStatusCode().value();
            return response;
        }
        catch (IOException | RuntimeException | Error ex) {
            error = ex;
            throw ex;
        }
        finally {
            policy.endClientSpan(span, status, error, false);
        }
    }
}
