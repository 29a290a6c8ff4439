package dev.tracing.benchmarks.e2e;

import java.nio.charset.StandardCharsets;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.server.reactive.AbstractServerHttpResponse;

/**
 * A server response that keeps what is written to it, for the in-memory request benchmark. Spring's
 * {@code MockServerHttpResponse} builds an exception for its default body each time one is made
 * (never thrown): with Spring's {@code MockClientHttpRequest} (see {@link InMemoryClientRequest}),
 * filling in their stack traces, as deep as the calls that make them and deeper under a tracer's
 * operators, took about a fifth of the benchmark's CPU samples. This one builds none.
 */
public final class InMemoryServerResponse extends AbstractServerHttpResponse {

    private Flux<DataBuffer> body = Flux.empty();

    public InMemoryServerResponse() {
        super(DefaultDataBufferFactory.sharedInstance);
    }

    /** The body written, joined, as UTF-8; empty when nothing was. */
    public Mono<String> bodyAsString() {
        return DataBufferUtils.join(body).map(buffer -> {
            String text = buffer.toString(StandardCharsets.UTF_8);
            DataBufferUtils.release(buffer);
            return text;
        }).defaultIfEmpty("");
    }

    /** The body written, to be read once more (it is cached). */
    Flux<DataBuffer> body() {
        return body;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getNativeResponse() {
        return (T) this;
    }

    @Override
    protected Mono<Void> writeWithInternal(Publisher<? extends DataBuffer> written) {
        this.body = Flux.<DataBuffer>from(written).cache();
        return this.body.then();
    }

    @Override
    protected Mono<Void> writeAndFlushWithInternal(Publisher<? extends Publisher<? extends DataBuffer>> written) {
        return writeWithInternal(Flux.from(written).concatMap(Flux::from));
    }

    @Override
    protected void applyStatusCode() {
    }

    @Override
    protected void applyHeaders() {
    }

    @Override
    protected void applyCookies() {
    }

}
