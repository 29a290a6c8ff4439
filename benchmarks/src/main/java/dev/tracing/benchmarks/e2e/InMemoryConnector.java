package dev.tracing.benchmarks.e2e;

import java.net.URI;
import java.util.function.Function;
import java.util.function.Supplier;

import reactor.core.publisher.Mono;

import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.reactive.ClientHttpConnector;
import org.springframework.http.client.reactive.ClientHttpRequest;
import org.springframework.http.client.reactive.ClientHttpResponse;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.mock.http.client.reactive.MockClientHttpResponse;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;

/**
 * A WebClient connector that hands each request to the application's own {@link HttpHandler} on
 * the calling thread, without a socket: the in-memory request benchmark measures the work of
 * Spring, Reactor and the tracer per request without Netty, the loopback and the event loops.
 * Spring's own {@code HttpHandlerConnector} moves each call to another thread, which this
 * single-threaded measurement must not pay.
 */
final class InMemoryConnector implements ClientHttpConnector {

    private final Supplier<HttpHandler> handler;

    InMemoryConnector(Supplier<HttpHandler> handler) {
        this.handler = handler;
    }

    @Override
    public Mono<ClientHttpResponse> connect(HttpMethod method, URI uri,
            Function<? super ClientHttpRequest, Mono<Void>> requestCallback) {
        InMemoryClientRequest request = new InMemoryClientRequest(method, uri);
        return requestCallback.apply(request).then(Mono.defer(() -> {
            MockServerHttpRequest serverRequest = MockServerHttpRequest.method(method, uri)
                .headers(request.getHeaders())
                .body(request.body());
            InMemoryServerResponse serverResponse = new InMemoryServerResponse();
            return handler.get().handle(serverRequest, serverResponse).then(Mono.fromSupplier(() -> {
                HttpStatusCode status = serverResponse.getStatusCode();
                // a handler that set no status answered 200, as a server would have sent
                MockClientHttpResponse response = new MockClientHttpResponse(status != null ? status : HttpStatus.OK);
                response.getHeaders().putAll(serverResponse.getHeaders());
                response.setBody(serverResponse.body());
                return response;
            }));
        }));
    }

}
