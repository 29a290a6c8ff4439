package dev.tracing.instrument.webflux;

import java.net.URI;
import java.util.function.Function;

import dev.tracing.context.TraceContextThreadLocalAccessor;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;

import org.springframework.http.HttpMethod;
import org.springframework.http.client.reactive.ClientHttpConnector;
import org.springframework.http.client.reactive.ClientHttpRequest;
import org.springframework.http.client.reactive.ClientHttpResponse;

/**
 * A {@link ClientHttpConnector} that connects without the trace context entry in its Reactor
 * Context while Reactor restores thread-locals only where asked
 * ({@code trace.reactor.context-propagation=limited}), and gives the entry back to the writing of
 * the request, headers and body. The WebClient filters, the exchange around the connector, the
 * response and its body see the entry as before.
 *
 * <p>Design notes: Reactor Netty subscribes its connect through {@code retryWhen} and its connection
 * pool, which copy the subscriber's Context with one key more, several times per call. A WebFlux
 * request's Context holds Spring's two entries and ours; with a fourth, each copy is a
 * {@code Context4}, whose constructor builds a {@code "key" + i} message for each key even when
 * nothing is wrong. Without our entry the copies stay at three keys, which check without building
 * anything: measured, about 1.5 KB less allocated per call. Reactor Netty subscribes the request's
 * body with the connection's Context, so the entry is put back around the request callback: a body
 * publisher's {@code handle}, {@code tap} and {@code deferContextual} (and a filter's
 * {@code ClientRequest}, however rebuilt) see the trace as before. What runs inside Reactor Netty's
 * connect and does not see it: code hung on the {@code HttpClient} itself ({@code doOn...}
 * callbacks and {@code currentContextView()}, {@code headersWhen}, {@code observe},
 * {@code mapConnect}, redirect consumers), and a {@code ClientRequest.httpRequest} consumer reading
 * the native request's Context; {@code trace.web.client.trim-connect-context=false} keeps the
 * entry for such code. With automatic propagation the entry is left in place: there Reactor
 * restores around the operators inside the connect too, and would clear the trace around each. The
 * mode is read per connect, so turning Reactor's hook on later takes effect.
 */
public final class TraceEntryTrimmingConnector implements ClientHttpConnector {

    private static final Object KEY = TraceContextThreadLocalAccessor.KEY;

    private final ClientHttpConnector delegate;

    public TraceEntryTrimmingConnector(ClientHttpConnector delegate) {
        this.delegate = delegate;
    }

    /** Returns the connector this one connects through. */
    public ClientHttpConnector delegate() {
        return delegate;
    }

    @Override
    public Mono<ClientHttpResponse> connect(HttpMethod method, URI uri,
            Function<? super ClientHttpRequest, Mono<Void>> requestCallback) {
        if (Hooks.isAutomaticContextPropagationEnabled()) {
            return delegate.connect(method, uri, requestCallback);
        }
        return Mono.deferContextual(context -> {
            Object trace = context.getOrDefault(KEY, null);
            if (trace == null) {
                return delegate.connect(method, uri, requestCallback);
            }
            return delegate
                .connect(method, uri,
                        request -> requestCallback.apply(request).contextWrite(written -> written.put(KEY, trace)))
                .contextWrite(connecting -> connecting.delete(KEY));
        });
    }

    @Override
    public String toString() {
        return "TraceEntryTrimmingConnector{" + delegate + "}";
    }

}
