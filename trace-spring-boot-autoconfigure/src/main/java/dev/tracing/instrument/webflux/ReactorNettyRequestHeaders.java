package dev.tracing.instrument.webflux;

import dev.tracing.instrument.http.HttpClientTracing;
import io.micrometer.tracing.Span;
import io.netty.handler.codec.http.HttpHeaders;
import reactor.netty.http.client.HttpClientRequest;

import org.springframework.http.client.reactive.ClientHttpRequest;

/**
 * Writes a span's headers straight into the request of Reactor Netty's client under Spring's
 * {@link ClientHttpRequest}. Loaded only where Reactor Netty is on the classpath.
 *
 * <p>Design notes: Spring's request keeps headers in a map of its own until it commits, then copies
 * each into the native request; a header written there is a case-insensitive map entry, a list, and
 * a second entry and iterator when the map is copied: about 450 bytes per call in an exact
 * allocation profile, which the native request's headers do not need. Every header name this tracer
 * propagates is removed from the native request first, as from Spring's map before, so one
 * configured on the {@code HttpClient} (a stale {@code tracestate}) no longer goes out beside the
 * span's. What the application sets in Spring's map is copied over the native headers at commit; a
 * removal there (a {@code ClientHttpRequestDecorator}, a {@code beforeCommit} action) does not reach
 * them, which is why only requests WebClient built, without an {@code httpRequest} callback, are
 * written here.
 */
final class ReactorNettyRequestHeaders {

    private ReactorNettyRequestHeaders() {
    }

    /**
     * Writes {@code span}'s headers into the native request under {@code httpRequest}; returns false,
     * writing nothing, when that is not Reactor Netty's.
     */
    static boolean inject(HttpClientTracing tracing, Span span, ClientHttpRequest httpRequest) {
        Object nativeRequest = httpRequest.getNativeRequest();
        if (!(nativeRequest instanceof HttpClientRequest netty)) {
            return false;
        }
        tracing.inject(span, netty.requestHeaders(), HttpHeaders::remove, HttpHeaders::set);
        return true;
    }

}
