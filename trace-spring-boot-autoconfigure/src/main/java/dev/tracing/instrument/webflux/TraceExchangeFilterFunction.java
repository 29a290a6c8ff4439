package dev.tracing.instrument.webflux;

import java.net.URI;
import java.util.Map;
import java.util.function.Consumer;

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
import org.springframework.http.HttpMethod;
import org.springframework.http.client.reactive.ClientHttpRequest;
import org.springframework.util.ClassUtils;
import org.springframework.util.MultiValueMap;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import org.springframework.web.reactive.function.client.ExchangeStrategies;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Gives each WebClient exchange a CLIENT span, a child of the span in the subscriber's Reactor
 * Context (or of the current thread-local span), and writes its context into the request
 * headers.
 *
 * <p>Design notes: the span starts when the exchange is subscribed, so each retry is its own
 * span. Trace headers (the names this tracer propagates, and those of every other format we know,
 * which a gateway passing its caller's headers on would send) are replaced, never added to, so a
 * request WebClient built carries exactly one set (for other requests, see below). The span ends once, on response,
 * error or cancel (a timeout cancels), in an {@link EndOnceSubscriber} that also notes the status.
 *
 * <p>The headers are written straight into the outgoing HTTP request (into Reactor Netty's own
 * request under Spring's, where that is the connector, for a request WebClient built without an
 * {@code httpRequest} callback), before the request's own
 * headers are copied in, not into a copy of the {@link ClientRequest}: copying one (its headers,
 * cookies and attributes maps) was about a kilobyte per call, a tenth of what tracing added to a
 * request end to end. The copy is still made when the application set a trace header itself,
 * so the one it set is replaced, but only of a request WebClient built: a request class of the
 * application's own (or of a filter before this one) keeps its {@code writeTo}, and a propagated
 * header it carries that this span does not write (a {@code tracestate}, a B3 header when only
 * W3C is produced) may then go out beside the span's. Whoever asks the request for its headers
 * downstream (a filter after this one, a debug log) sees the span's.
 */
public final class TraceExchangeFilterFunction implements ExchangeFilterFunction {

    /**
     * The class of the requests {@link ClientRequest#create} builds: only such a request is
     * copied, since a copy of any other would lose its own {@code writeTo}.
     */
    private static final Class<?> BUILT_REQUEST = ClientRequest.create(HttpMethod.GET, URI.create("/"))
        .build()
        .getClass();

    /** Where WebClient keeps the URI template a request was made with. */
    static final String URI_TEMPLATE_ATTRIBUTE = WebClient.class.getName() + ".uriTemplate";

    /** Whether Reactor Netty's client is on the classpath, whose requests take the span's headers natively. */
    private static final boolean REACTOR_NETTY = ClassUtils.isPresent("reactor.netty.http.client.HttpClientRequest",
            TraceExchangeFilterFunction.class.getClassLoader());

    private final HttpClientTracing tracing;

    public TraceExchangeFilterFunction(Tracer tracer, Propagator propagator, HttpSpanPolicy policy) {
        this.tracing = new HttpClientTracing(tracer, propagator, policy);
    }

    @Override
    public Mono<ClientResponse> filter(ClientRequest request, ExchangeFunction next) {
        return Mono.deferContextual(context -> {
            Span span;
            try {
                Object template = request.attributes().get(URI_TEMPLATE_ATTRIBUTE);
                span = tracing.start(ReactorTracing.traceContext(context), request.method().name(), request.url(),
                        template == null ? null : template.toString());
            }
            catch (RuntimeException ex) {
                // tracing never fails a request
                return next.exchange(request);
            }
            Mono<ClientResponse> exchange;
            try {
                exchange = next.exchange(new TracedRequest(request, span, tracing));
            }
            catch (RuntimeException | Error ex) {
                // a filter after this one, or the connector, threw instead of returning a failed Mono
                tracing.end(span, 0, ex, false);
                throw ex;
            }
            return new EndingSpan(exchange, span, tracing);
        });
    }

    /**
     * The application's request, with the span's headers: written into the HTTP request as it
     * commits, and merged into {@link #headers()} for whoever reads them.
     */
    private static final class TracedRequest implements ClientRequest {

        private final ClientRequest request;

        private final Span span;

        private final HttpClientTracing tracing;

        /** The request's headers with the span's, built on first read; any thread may read them. */
        private volatile HttpHeaders headers;

        TracedRequest(ClientRequest request, Span span, HttpClientTracing tracing) {
            this.request = request;
            this.span = span;
            this.tracing = tracing;
        }

        @Override
        public Mono<Void> writeTo(ClientHttpRequest httpRequest, ExchangeStrategies strategies) {
            ClientRequest toWrite = request;
            try {
                if (request.getClass() == BUILT_REQUEST && carriesPropagatedHeader(request.headers())) {
                    // rare: the application set trace headers itself; the copy leaves out every one of
                    // the trace headers it set, also one this span has no value for (a tracestate, a b3)
                    toWrite = ClientRequest.from(request)
                        .headers(copy -> tracing.inject(span, copy, HttpHeaders::remove, HttpHeaders::set))
                        .build();
                }
                else if (!injectNatively(httpRequest)) {
                    // the request's own headers are copied in next, only where absent, and the
                    // application's httpRequest callback runs after that, so it has the last word
                    tracing.inject(span, httpRequest.getHeaders(), HttpHeaders::remove, HttpHeaders::set);
                }
            }
            catch (RuntimeException ex) {
                // tracing never fails a request: it goes out without trace headers
            }
            // outside the try: what the application's own writing throws is the application's
            return toWrite.writeTo(httpRequest, strategies);
        }

        /**
         * Writes the span's headers into the connector's own request (Reactor Netty's), where Spring
         * copies its headers over them at commit: only for a request WebClient built (whose writing is
         * known: it carries no trace header here) with no {@code httpRequest} callback, which may remove
         * or read them in Spring's, as another request's own writing may.
         */
        private boolean injectNatively(ClientHttpRequest httpRequest) {
            if (!REACTOR_NETTY || request.getClass() != BUILT_REQUEST || request.httpRequest() != null) {
                return false;
            }
            try {
                return ReactorNettyRequestHeaders.inject(tracing, span, httpRequest);
            }
            catch (RuntimeException ex) {
                // Spring's map then
                return false;
            }
        }

        private boolean carriesPropagatedHeader(HttpHeaders own) {
            if (own.isEmpty()) {
                return false;
            }
            for (String field : tracing.replacedHeaders()) {
                if (own.containsHeader(field)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public HttpHeaders headers() {
            HttpHeaders read = headers;
            if (read == null) {
                HttpHeaders merged = new HttpHeaders();
                merged.putAll(request.headers());
                try {
                    tracing.inject(span, merged, HttpHeaders::remove, HttpHeaders::set);
                }
                catch (RuntimeException ex) {
                    // tracing never fails a request: the application's headers as they were
                    return request.headers();
                }
                read = HttpHeaders.readOnlyHttpHeaders(merged);
                headers = read;
            }
            return read;
        }

        @Override
        public HttpMethod method() {
            return request.method();
        }

        @Override
        public URI url() {
            return request.url();
        }

        @Override
        public MultiValueMap<String, String> cookies() {
            return request.cookies();
        }

        @Override
        public BodyInserter<?, ? super ClientHttpRequest> body() {
            return request.body();
        }

        @Override
        public Map<String, Object> attributes() {
            return request.attributes();
        }

        @Override
        public Consumer<ClientHttpRequest> httpRequest() {
            return request.httpRequest();
        }

        @Override
        public String logPrefix() {
            return request.logPrefix();
        }

        @Override
        public String toString() {
            return request.toString();
        }

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
