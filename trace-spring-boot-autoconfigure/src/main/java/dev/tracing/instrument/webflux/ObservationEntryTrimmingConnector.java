package dev.tracing.instrument.webflux;

import java.net.URI;
import java.util.function.Function;

import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import reactor.core.publisher.Mono;

import org.springframework.http.HttpMethod;
import org.springframework.http.client.reactive.ClientHttpConnector;
import org.springframework.http.client.reactive.ClientHttpRequest;
import org.springframework.http.client.reactive.ClientHttpResponse;

/**
 * A {@link ClientHttpConnector} that connects without Spring's Observation entry in its Reactor
 * Context, and gives the entry back to the writing of the request, headers and body. The trace
 * entry stays: code inside the connect sees the trace as before, in the Reactor Context and, with
 * automatic propagation, as the current span and in the MDC. The WebClient filters, the exchange
 * around the connector, the response and its body see both entries as before.
 *
 * <p>Design notes: Reactor Netty subscribes its connect through {@code retryWhen} and its connection
 * pool, which copy the subscriber's Context with one key more, several times per call. A WebFlux
 * request's Context holds Spring's Observation, Spring's discard hook and our trace entry; with a
 * fourth key, each copy is a {@code Context4}, whose constructor builds a {@code "key" + i} message
 * for each key even when nothing is wrong. With one entry fewer the copies stay at three keys, which
 * check without building anything: measured, 1.5 to 2 KB less allocated per call. Of the three, the
 * Observation is the one nothing inside the connect needs: our instrumentation keeps the span in
 * the trace entry (its handler of the WebClient's Observation does nothing on scopes), the discard hook
 * releases buffers, and Reactor Netty reads the Observation only for its own metrics and
 * observations ({@code HttpClient.metrics}), whose connect and TLS observations then have no
 * parent. Code hung on the {@code HttpClient} that reads the current Observation (from the Reactor
 * Context, or with automatic propagation from the thread) does not get it either;
 * {@code trace.web.client.trim-connect-context=false} keeps the entry for such code.
 */
public final class ObservationEntryTrimmingConnector implements ClientHttpConnector {

    private static final Object KEY = ObservationThreadLocalAccessor.KEY;

    private final ClientHttpConnector delegate;

    public ObservationEntryTrimmingConnector(ClientHttpConnector delegate) {
        this.delegate = delegate;
    }

    /** Returns the connector this one connects through. */
    public ClientHttpConnector delegate() {
        return delegate;
    }

    @Override
    public Mono<ClientHttpResponse> connect(HttpMethod method, URI uri,
            Function<? super ClientHttpRequest, Mono<Void>> requestCallback) {
        return Mono.deferContextual(context -> {
            Object observation = context.getOrDefault(KEY, null);
            if (observation == null) {
                return delegate.connect(method, uri, requestCallback);
            }
            return delegate
                .connect(method, uri,
                        request -> requestCallback.apply(request)
                            .contextWrite(written -> written.put(KEY, observation)))
                .contextWrite(connecting -> connecting.delete(KEY));
        });
    }

    @Override
    public String toString() {
        return "ObservationEntryTrimmingConnector{" + delegate + "}";
    }

}
