package dev.tracing.benchmarks.e2e;

import java.net.URI;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpMethod;
import org.springframework.http.client.reactive.AbstractClientHttpRequest;

/**
 * A client request that keeps its body for the server it is handed to, for {@link InMemoryConnector}.
 * Spring's {@code MockClientHttpRequest} builds an exception for its default body each time one is
 * made (never thrown); this one builds none.
 */
final class InMemoryClientRequest extends AbstractClientHttpRequest {

    private final HttpMethod method;

    private final URI uri;

    private Flux<DataBuffer> body = Flux.empty();

    InMemoryClientRequest(HttpMethod method, URI uri) {
        this.method = method;
        this.uri = uri;
    }

    /** The body written, to be read once (by the server). */
    Flux<DataBuffer> body() {
        return body;
    }

    @Override
    public HttpMethod getMethod() {
        return method;
    }

    @Override
    public URI getURI() {
        return uri;
    }

    @Override
    public DataBufferFactory bufferFactory() {
        return DefaultDataBufferFactory.sharedInstance;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getNativeRequest() {
        return (T) this;
    }

    @Override
    public Mono<Void> writeWith(Publisher<? extends DataBuffer> written) {
        return doCommit(() -> Mono.fromRunnable(() -> this.body = Flux.from(written)));
    }

    @Override
    public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> written) {
        return writeWith(Flux.from(written).concatMap(Flux::from));
    }

    @Override
    public Mono<Void> setComplete() {
        return writeWith(Flux.empty());
    }

    @Override
    protected void applyHeaders() {
    }

    @Override
    protected void applyCookies() {
    }

}
