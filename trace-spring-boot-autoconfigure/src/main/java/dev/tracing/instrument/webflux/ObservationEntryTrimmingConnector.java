package dev.tracing.instrument.webflux;

import java.net.URI;
import java.util.function.Function;

import dev.tracing.context.ReactorTracing;
import dev.tracing.context.TraceContextThreadLocalAccessor;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import reactor.core.publisher.Mono;

import org.springframework.http.HttpMethod;
import org.springframework.http.client.reactive.ClientHttpConnector;
import org.springframework.http.client.reactive.ClientHttpRequest;
import org.springframework.http.client.reactive.ClientHttpResponse;

/**
 * A {@link ClientHttpConnector} that connects without Spring's Observation entry in its Reactor
 * Context ({@link ReactorTracing#leaveOutObservation}), and gives the entry back to the writing of
 * the request, headers and body. The trace stays: code inside the connect reads the call's parent
 * span (an observed section's, where the call is made in one) with
 * {@link ReactorTracing#traceContext} and, with automatic propagation, has it as the current span
 * and in the MDC, and this project's snapshot factory does not clear the thread's Observation there.
 * The WebClient filters, the exchange around the connector, the response and its body see both
 * entries as before.
 *
 * <p>Design notes: Reactor Netty subscribes its connect through {@code retryWhen} and its connection
 * pool, which copy the subscriber's Context with one key more, several times per call. A WebFlux
 * request's Context holds Spring's Observation, Spring's discard hook and our trace entry; with a
 * fourth key, each copy is a {@code Context4}, whose constructor builds a {@code "key" + i} message
 * for each key even when nothing is wrong. With one entry fewer the copies stay at three keys, which
 * check without building anything: an exact allocation profile counted 2 to 3.7 KB less per call
 * of the end-to-end app (with and without Spring Boot's Observation module), though the end-to-end
 * count at full load moved by much less, within its noise: compiled code seems to skip most of
 * those strings. Leaving out our entry instead (done before, in {@code limited} only) would have
 * Reactor clear the trace around the operators inside the connect in {@code auto}; leaving out the
 * Observation with nothing more would have it clear the Observation there, opening a
 * {@code NullObservation} scope that costs more than the copies do with a real registry. So the trace entry carries the sign that the Observation
 * was left out on purpose, and this project's snapshot factory then leaves the thread's alone. What
 * goes without the Observation entry: code hung on the {@code HttpClient} that reads it from the
 * Reactor Context, and Reactor Netty's own metrics and observations ({@code HttpClient.metrics}),
 * which then take the thread's; {@code trace.web.client.trim-connect-context=false} keeps it. Where
 * Reactor's own snapshot factory restores (ours could not be installed), it clears the Observation
 * inside the connect: correct, only dearer.
 */
public final class ObservationEntryTrimmingConnector implements ClientHttpConnector {

    private static final Object OBSERVATION = ObservationThreadLocalAccessor.KEY;

    private static final Object TRACE = TraceContextThreadLocalAccessor.KEY;

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
            Object observation = context.getOrDefault(OBSERVATION, null);
            Object trace = context.getOrDefault(TRACE, null);
            if (observation == null || trace == null) {
                return delegate.connect(method, uri, requestCallback);
            }
            return delegate
                .connect(method, uri,
                        request -> requestCallback.apply(request)
                            .contextWrite(written -> written.put(OBSERVATION, observation).put(TRACE, trace)))
                .contextWrite(ReactorTracing::leaveOutObservation);
        });
    }

    @Override
    public String toString() {
        return "ObservationEntryTrimmingConnector{" + delegate + "}";
    }

}
