package dev.tracing.instrument.observation;

import java.net.URI;

import dev.tracing.instrument.http.HttpClientTracing;
import dev.tracing.instrument.http.HttpSpanPolicy;
import io.micrometer.observation.Observation;
import io.micrometer.observation.transport.SenderContext;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.TracingObservationHandler;
import io.micrometer.tracing.propagation.Propagator;

/**
 * The CLIENT span of an HTTP client request that Spring observes but this starter's interceptor
 * and filter do not see: a {@code RestClient}, {@code RestTemplate} or {@code WebClient} built by
 * hand with an {@code ObservationRegistry} (or any client when {@code trace.web.client.enabled}
 * is off). The span is named, tagged and ended by the same {@link HttpSpanPolicy} as the
 * interceptor's ({@code GET /stock/{id}} with the URI template, never the query string), and its
 * context replaces the request's trace headers.
 *
 * <p>Design notes: Spring's own Observation tags ({@code http.url} with the query, {@code uri}
 * with the raw path) are not copied onto the span; they still go to the metrics. The reactive
 * client's Observation carries a request builder, which has no getters, so its method and URI are
 * read from a request built from it, once per call; the blocking client's carries the request.
 */
public final class HttpClientObservationSpanHandler implements TracingObservationHandler<SenderContext<?>> {

    private static final String BLOCKING = "org.springframework.http.client.observation.ClientRequestObservationContext";

    private static final String REACTIVE = "org.springframework.web.reactive.function.client.ClientRequestObservationContext";

    private final Tracer tracer;

    private final InstrumentedExchanges exchanges;

    private final HttpClientTracing tracing;

    public HttpClientObservationSpanHandler(Tracer tracer, Propagator propagator, HttpSpanPolicy policy,
            InstrumentedExchanges exchanges) {
        this.tracer = tracer;
        this.exchanges = exchanges;
        this.tracing = new HttpClientTracing(tracer, propagator, policy);
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
        return context != null && InstrumentedExchanges.kindOf(context) != null && !exchanges.covers(context);
    }

    @Override
    public void onStart(SenderContext<?> context) {
        try {
            Span parent = getParentSpan(context);
            Span span;
            if (InstrumentedExchanges.kindOf(context) == InstrumentedExchanges.HttpClientKind.BLOCKING) {
                span = Blocking.start(tracing, parent, context);
            }
            else {
                span = Reactive.start(tracing, parent, context);
            }
            getTracingContext(context).setSpan(span);
        }
        catch (RuntimeException ex) {
            // tracing never fails a request: it goes out without a span (and the caller's stays current)
        }
    }

    /** Without a span (starting one failed), the caller's stays current: Micrometer's default would clear it. */
    @Override
    public void onScopeOpened(SenderContext<?> context) {
        if (getTracingContext(context).getSpan() != null) {
            TracingObservationHandler.super.onScopeOpened(context);
        }
    }

    @Override
    public void onError(SenderContext<?> context) {
        // recorded when the span ends, with the status
    }

    @Override
    public void onStop(SenderContext<?> context) {
        Span span = getTracingContext(context).getSpan();
        if (span == null) {
            return;
        }
        try {
            int status;
            boolean cancelled = false;
            if (InstrumentedExchanges.kindOf(context) == InstrumentedExchanges.HttpClientKind.BLOCKING) {
                status = Blocking.status(context);
            }
            else {
                status = Reactive.status(context);
                cancelled = Reactive.aborted(context);
            }
            tracing.end(span, status, context.getError(), cancelled);
        }
        catch (RuntimeException ex) {
            span.end();
        }
    }

    @Override
    public Span getParentSpan(Observation.ContextView context) {
        return EnclosingObservation.parentSpan(TracingObservationHandler.super.getParentSpan(context), context);
    }

    @Override
    public Tracer getTracer() {
        return tracer;
    }

    private static <C> void setter(SenderContext<C> context, Object carrier, String key, String value) {
        @SuppressWarnings("unchecked")
        C typed = (C) carrier;
        context.getSetter().set(typed, key, value);
    }

    /** RestClient and RestTemplate; loaded only once such an Observation exists. */
    private static final class Blocking {

        static Span start(HttpClientTracing tracing, Span parent,
                SenderContext<?> senderContext) {
            var context = (org.springframework.http.client.observation.ClientRequestObservationContext) senderContext;
            org.springframework.http.client.ClientHttpRequest request = context.getCarrier();
            String template = context.getUriTemplate();
            if (template == null) {
                Object attribute = request.getAttributes().get("org.springframework.web.client.RestClient.uriTemplate");
                template = attribute == null ? null : attribute.toString();
            }
            return tracing.start(parent == null ? null : parent.context(), request.getMethod().name(),
                    request.getURI(), template, request, (r, name) -> r.getHeaders().remove(name),
                    (r, key, value) -> setter(senderContext, r, key, value));
        }

        static int status(SenderContext<?> senderContext) {
            var response = ((org.springframework.http.client.observation.ClientRequestObservationContext) senderContext)
                .getResponse();
            try {
                return response == null ? 0 : response.getStatusCode().value();
            }
            catch (java.io.IOException | RuntimeException ex) {
                return 0;
            }
        }

    }

    /** WebClient; loaded only once such an Observation exists. */
    private static final class Reactive {

        static Span start(HttpClientTracing tracing, Span parent, SenderContext<?> senderContext) {
            var context = (org.springframework.web.reactive.function.client.ClientRequestObservationContext) senderContext;
            org.springframework.web.reactive.function.client.ClientRequest.Builder builder = context.getCarrier();
            org.springframework.web.reactive.function.client.ClientRequest request = builder.build();
            String template = context.getUriTemplate();
            if (template == null) {
                template = (String) request.attribute(
                        org.springframework.web.reactive.function.client.WebClient.class.getName() + ".uriTemplate")
                    .orElse(null);
            }
            URI uri = request.url();
            return tracing.start(parent == null ? null : parent.context(), request.method().name(), uri,
                    template, builder, (b, name) -> b.headers(headers -> headers.remove(name)),
                    (b, key, value) -> setter(senderContext, b, key, value));
        }

        static int status(SenderContext<?> senderContext) {
            var response = ((org.springframework.web.reactive.function.client.ClientRequestObservationContext) senderContext)
                .getResponse();
            return response == null ? 0 : response.statusCode().value();
        }

        static boolean aborted(SenderContext<?> senderContext) {
            return ((org.springframework.web.reactive.function.client.ClientRequestObservationContext) senderContext)
                .isAborted();
        }

    }

}
