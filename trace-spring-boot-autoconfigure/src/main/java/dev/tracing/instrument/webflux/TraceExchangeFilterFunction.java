package dev.tracing.instrument.webflux;

import dev.tracing.context.ReactorTracing;
import dev.tracing.instrument.http.HttpClientTracing;
import dev.tracing.instrument.http.HttpSpanPolicy;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;

/**
 * Gives each WebClient exchange a CLIENT span, a child of the span in the subscriber's Reactor
 * Context (or of the current thread-local span), and writes its context into the request
 * headers.
 *
 * <p>Design notes: the span starts when the exchange is subscribed, so each retry is its own
 * span. Header names this tracer propagates are replaced, never added to, so the request carries
 * exactly one set. The span ends in {@code doFinally}: once, on response, error or cancel
 * (a timeout cancels).
 */
public final class TraceExchangeFilterFunction implements ExchangeFilterFunction {

    private final HttpClientTracing tracing;

    public TraceExchangeFilterFunction(Tracer tracer, Propagator propagator, HttpSpanPolicy policy) {
        this.tracing = new HttpClientTracing(tracer, propagator, policy);
    }

    @Override
    public Mono<ClientResponse> filter(ClientRequest request, ExchangeFunction next) {
        return Mono.deferContextual(context -> {
            Span span;
            ClientRequest traced;
            try {
                ClientRequest.Builder copy = ClientRequest.from(request);
                span = tracing.start(ReactorTracing.traceContext(context), request.method().name(), request.url(), copy,
                        (builder, key) -> builder.headers(headers -> headers.remove(key)),
                        (builder, key, value) -> builder.headers(headers -> headers.set(key, value)));
                traced = copy.build();
            }
            catch (RuntimeException ex) {
                // tracing never fails a request
                return next.exchange(request);
            }
            int[] status = new int[1];
            Throwable[] error = new Throwable[1];
            return next.exchange(traced)
                .doOnNext(response -> status[0] = response.statusCode().value())
                .doOnError(ex -> error[0] = ex)
                .doFinally(signal -> tracing.end(span, status[0], error[0], signal == SignalType.CANCEL));
        });
    }
}
