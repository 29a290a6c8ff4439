package dev.tracing.instrument.web;

import java.io.IOException;

import dev.tracing.instrument.http.HttpClientTracing;
import dev.tracing.instrument.http.HttpSpanPolicy;
import io.micrometer.tracing.Span;
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

    private final HttpClientTracing tracing;

    public TraceClientHttpRequestInterceptor(Tracer tracer, Propagator propagator, HttpSpanPolicy policy) {
        this.tracing = new HttpClientTracing(tracer, propagator, policy);
    }

    /** Where RestClient keeps the URI template a request was made with (RestTemplate keeps none there). */
    static final String URI_TEMPLATE_ATTRIBUTE = "org.springframework.web.client.RestClient.uriTemplate";

    @Override
    public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution)
            throws IOException {
        Span span;
        try {
            Object template = request.getAttributes().get(URI_TEMPLATE_ATTRIBUTE);
            span = tracing.start(null, request.getMethod().name(), request.getURI(),
                    template == null ? null : template.toString(), request.getHeaders(), HttpHeaders::remove,
                    HttpHeaders::set);
        }
        catch (RuntimeException ex) {
            // tracing never fails a request
            return execution.execute(request, body);
        }
        int status = 0;
        Throwable error = null;
        try {
            ClientHttpResponse response = execution.execute(request, body);
            try {
                status = response.getStatusCode().value();
            }
            catch (IOException | RuntimeException ex) {
                // a status Spring cannot read (a broken server's "42"): the caller fails reading it too, and
                // closes the response then, which it could not if this threw
                error = ex;
            }
            return response;
        }
        catch (IOException | RuntimeException | Error ex) {
            error = ex;
            throw ex;
        }
        finally {
            tracing.end(span, status, error, false);
        }
    }
}
