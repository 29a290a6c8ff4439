package dev.tracing.instrument.webflux;

import dev.tracing.context.ReactorTracing;
import dev.tracing.instrument.http.HttpClientTracing;
import dev.tracing.instrument.http.HttpSpanPolicy;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoOperator;

import org.springframework.http.HttpHeaders;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Gives each WebClient exchange a CLIENT span, a child of the span in the subscriber's Reactor
 * Context (or of the current thread-local span), and writes its context into the request
 * headers.
 *
 * <p>Design notes: the span starts when the exchange is subscribed, so each retry is its own
 * span. Header names this tracer propagates are replaced, never added to, so the request carries
 * exactly one set. The span ends once, on response, error or cancel (a timeout cancels), in an
 * {@link EndOnceSubscriber} that also notes the status.
 */
public final class TraceExchangeFilterFunction implements ExchangeFilterFunction {

    private final HttpClientTracing tracing;

    public TraceExchangeFilterFunction(Tracer tracer, Propagator propagator, HttpSpanPolicy policy) {
        this.tracing = new HttpClientTracing(tracer, propagator, policy);
    }

    /** Where WebClient keeps the URI template a request was made with. */
    static final String URI_TEMPLATE_ATTRIBUTE = WebClient.class.getName() + ".uriTemplate";

    @Override
    public Mono<ClientResponse> filter(ClientRequest request, ExchangeFunction next) {
        return Mono.deferContextual(context -> {
            Span span;
            ClientRequest traced;
            try {
                Object template = request.attributes().get(URI_TEMPLATE_ATTRIBUTE);
                span = tracing.start(ReactorTracing.traceContext(context), request.method().name(), request.url(),
                        template == null ? null : template.toString());
                traced = ClientRequest.from(request)
                    .headers(headers -> tracing.inject(span, headers, HttpHeaders::remove, HttpHeaders::set))
                    .build();
            }
            catch (RuntimeException ex) {
                // tracing never fails a request
                return next.exchange(request);
            }
            return new EndingSpan(next.exchange(traced), span, tracing);
        });
    }

    /** The exchange, ending the span once with the response's status, the error or the cancel. */
    private static final class EndingSpan extends MonoOperator<ClientResponse, ClientResponse> {

        private final Span span;

        private final HttpClientTracing tracing;

        EndingSpan(Mono<ClientResponse> exchange, Span span, HttpClientTracing tracing) {
            super(exchange);
            this.span = span;
            this.tracing = tracing;
        }

        @Override
        public void subscribe(CoreSubscriber<? super ClientResponse> actual) {
            source.subscribe(new EndingSubscriber(actual, span, tracing));
        }

    }

    private static final class EndingSubscriber extends EndOnceSubscriber<ClientResponse> {

        private final Span span;

        private final HttpClientTracing tracing;

        private int status;

        EndingSubscriber(CoreSubscriber<? super ClientResponse> actual, Span span, HttpClientTracing tracing) {
            super(actual);
            this.span = span;
            this.tracing = tracing;
        }

        @Override
        void next(ClientResponse response) {
            status = response.statusCode().value();
        }

        @Override
        void end(Throwable error, boolean cancelled) {
            tracing.end(span, status, error, cancelled);
        }

    }
}
