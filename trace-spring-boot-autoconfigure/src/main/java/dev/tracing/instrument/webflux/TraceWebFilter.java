package dev.tracing.instrument.webflux;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import dev.tracing.context.TraceContextThreadLocalAccessor;
import dev.tracing.instrument.http.HttpSpanPolicy;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoOperator;
import reactor.netty.channel.ChannelOperations;
import reactor.netty.http.server.HttpServerResponse;
import reactor.util.context.Context;

import org.springframework.core.Ordered;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.AbstractServerHttpRequest;
import org.springframework.http.server.reactive.AbstractServerHttpResponse;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.util.ClassUtils;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import org.springframework.web.server.handler.ExceptionHandlingWebHandler;
import org.springframework.web.util.pattern.PathPattern;

/**
 * Gives each incoming WebFlux request a SERVER span, a child of the context the propagator
 * extracts from the request headers (or a new trace), current for the whole reactive chain
 * through the Reactor Context.
 *
 * <p>It works at two levels. As an {@link HttpHandler} decorator ({@link #decorate}) it starts
 * the span around everything Spring does with the request, so the exception handlers (and their
 * log lines) run inside it and the span ends with the status they finally wrote. The route pattern
 * the handler mapping matched names the span: the decorator reads it from the exchange's
 * attributes, which Spring's adapter makes readable through the request it builds the exchange
 * over. Where the adapter builds it over another request (a forwarded-header transformer, an
 * outer decorator that wraps the request), the {@link WebFilter} hands the exchange to the span;
 * without the decorator (an application that builds its own HttpHandler) the filter starts and
 * ends the span itself.
 *
 * <p>Design notes: the span ends once, on completion, error or cancellation (the client went
 * away), in an {@link EndOnceSubscriber}. The Reactor Context gets one entry,
 * the span's context: Reactor's contexts of four entries and more check their keys with a message
 * built for each key on every copy, which cost more than everything else this filter does. Every
 * filter in Spring's chain costs a checkpoint and its description per request, so where the
 * decorator reads the exchange through the request, the customizer that installs it takes this
 * filter out of the chain: no chain link, no checkpoint, no handoff. Where the filter stays, the
 * decorator hands its state to it through a map keyed by the server's own request object (the one
 * under any request Spring or a forwarded-header transformer wraps it in), emptied when the span
 * ends; the filter finds it there without reading the Reactor Context and adds no operator to the
 * chain; as a filter it is as small as a filter can be. The exception the chain failed with
 * reaches the span through {@link #errorRecorder()}, a {@code WebExceptionHandler} ahead of the
 * application's, which runs only for a failed request; the exchange's
 * {@code HANDLED_WEB_EXCEPTION} attribute (the error the last exception handler saw) is the
 * fallback.
 */
public final class TraceWebFilter implements WebFilter, Ordered {

    /** Exchange attribute holding the request's SERVER span. */
    public static final String SPAN_ATTRIBUTE = TraceWebFilter.class.getName() + ".span";

    private static final String DESCRIPTION = TraceWebFilter.class.getSimpleName();

    private static final Log logger = LogFactory.getLog(TraceWebFilter.class);

    /** Exchange attribute holding the error the chain failed with, as the recorder saw it ahead of any handler. */
    private static final String ERROR_ATTRIBUTE = TraceWebFilter.class.getName() + ".error";

    /** Set when a request failed after its response was committed (a body failing part way). */
    private static final String FAILED_AFTER_COMMIT_ATTRIBUTE = TraceWebFilter.class.getName() + ".failedAfterCommit";

    private static final Propagator.Getter<ServerHttpRequest> GETTER = new Propagator.Getter<>() {
        @Override
        public String get(ServerHttpRequest request, String key) {
            return request.getHeaders().getFirst(key);
        }

        @Override
        public Iterable<String> getAll(ServerHttpRequest request, String key) {
            List<String> values = request.getHeaders().get(key);
            return values == null ? List.of() : values;
        }
    };

    /**
     * The class of the scan attribute by which Reactor's own operators tell it that their subscribers
     * need no restoring wrapper with automatic propagation (package-private in Reactor, so found by
     * name); null where a Reactor version has none.
     */
    private static final Class<?> INTERNAL_PRODUCER_ATTR = internalProducerAttr();

    private final Propagator propagator;

    private final HttpSpanPolicy policy;

    /**
     * Client addresses formatted lately, by the address's hash: requests mostly come from a few
     * peers (the nodes of a proxy or a gateway), and formatting an address takes five objects. A
     * race loses an entry or makes one twice; an entry is immutable, so a reader sees it whole.
     */
    private final FormattedAddress[] clients = new FormattedAddress[32];

    private final HttpSpanPolicy.RequestReader<ServerHttpRequest> reader = new HttpSpanPolicy.RequestReader<>() {
        @Override
        public String clientAddress(ServerHttpRequest request) {
            return TraceWebFilter.this.clientAddress(request);
        }

        @Override
        public String header(ServerHttpRequest request, String name) {
            return request.getHeaders().getFirst(name);
        }
    };

    /** The requests whose span the decorator started, by the server's request object, until it ends. */
    private final Map<Object, ServerSpan> started = new ConcurrentHashMap<>();

    /**
     * Makes the span current on this thread and puts back what was, without a scope object: an
     * accessor like the one Reactor restores the trace through (the current context is per thread,
     * whichever instance sets it).
     */
    private final TraceContextThreadLocalAccessor current;

    /** Whether the warning that the decorator cannot read the exchange was logged: once is enough. */
    private volatile boolean warnedExchangeUnreadable;

    public TraceWebFilter(Tracer tracer, Propagator propagator, HttpSpanPolicy policy) {
        this.propagator = propagator;
        this.policy = policy;
        this.current = new TraceContextThreadLocalAccessor(tracer.currentTraceContext());
    }

    private static Class<?> internalProducerAttr() {
        try {
            return Class.forName("reactor.core.publisher.InternalProducerAttr", false, Mono.class.getClassLoader());
        }
        catch (ClassNotFoundException | LinkageError ex) {
            return null;
        }
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }

    /**
     * A constant: Spring's filter chain describes each filter it invokes with {@code toString()},
     * on every request, and {@code Object.toString()} builds a new string each time.
     */
    @Override
    public String toString() {
        return DESCRIPTION;
    }

    /**
     * Returns {@code handler} with a SERVER span around each request it handles, this filter being
     * in the handler's filter chain to hand the exchange to the span.
     */
    public HttpHandler decorate(HttpHandler handler) {
        return decorate(handler, true);
    }

    /**
     * Returns {@code handler} with a SERVER span around each request it handles. Without
     * {@code filterInChain}, {@code handler} must build its exchange over the request it is given
     * (Spring's {@code HttpWebHandlerAdapter} without a forwarded-header transformer does): the
     * span reads the exchange's attributes through that request.
     */
    HttpHandler decorate(HttpHandler handler, boolean filterInChain) {
        return (request, response) -> {
            ServerSpan state = start(request, response);
            if (state == SKIPPED) {
                // the filter in the chain need not look for this request's span (an exchange's attributes always
                // hold its log id: empty means no exchange behind this request, and maybe a map that takes nothing)
                Map<String, Object> attributes = request.getAttributes();
                if (!attributes.isEmpty()) {
                    attributes.put(SKIPPED_ATTRIBUTE, Boolean.TRUE);
                }
                return untraced(() -> handler.handle(request, response));
            }
            if (state == null) {
                return handler.handle(request, response);
            }
            TraceContext context = state.span.context();
            Object key = null;
            if (filterInChain) {
                key = nativeRequest(request);
                started.put(key, state);
            }
            Mono<Void> result;
            try {
                boolean entered = makeCurrent(context);
                try {
                    result = handler.handle(request, response);
                }
                finally {
                    if (entered) {
                        current.restore();
                    }
                }
            }
            catch (RuntimeException | Error ex) {
                if (key != null) {
                    started.remove(key, state);
                }
                state.failed(ex);
                end(state, response, false, false);
                throw ex;
            }
            if (!filterInChain) {
                // the adapter made the exchange in handle(), before anything subscribes to its chain
                putSpanAttribute(request.getAttributes(), state.span);
            }
            return new EndingSpan(result, key, state, response);
        };
    }

    /**
     * {@code work} in a trace context that is not sampled, when the policy gives one, on the thread (as
     * {@code work} makes the exchange, and again as it is subscribed to) and in its Reactor Context: a
     * skipped request records nothing, and what runs inside it (Spring Security's Observations of a
     * health probe, a call a health indicator makes, a controller method) starts no trace of its own
     * either, in {@code limited} mode too.
     */
    private Mono<Void> untraced(Supplier<Mono<Void>> work) {
        TraceContext untraced = policy.untracedContext();
        if (untraced == null) {
            return work.get();
        }
        Mono<Void> result;
        boolean entered = makeCurrent(untraced);
        try {
            result = work.get();
        }
        finally {
            if (entered) {
                current.restore();
            }
        }
        return new Untraced(result, untraced);
    }

    /**
     * Makes {@code context} current on this thread until {@code current.restore()}; returns false,
     * with nothing to put back, where that failed (an Observation on the thread that throws when our
     * accessor asks whether it encloses the span): the request goes on without the span current,
     * since tracing never fails a request.
     */
    private boolean makeCurrent(TraceContext context) {
        try {
            current.setValue(context);
            return true;
        }
        catch (RuntimeException ex) {
            return false;
        }
    }

    private void putSpanAttribute(Map<String, Object> attributes, Span span) {
        // an exchange's attributes always hold its log id: empty means no exchange behind this request
        if (!attributes.isEmpty()) {
            attributes.put(SPAN_ATTRIBUTE, span);
        }
        else if (!warnedExchangeUnreadable) {
            warnedExchangeUnreadable = true;
            logger.warn("The HttpHandler decorator of " + DESCRIPTION + " cannot read the exchange through the "
                    + "request: a decorator inside it hands Spring another request, or makes the exchange later. "
                    + "Server spans may have no route and no recorded handler error; order the "
                    + "WebHttpHandlerBuilderCustomizer that adds that decorator before Ordered.LOWEST_PRECEDENCE.");
        }
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerSpan decorated = started.get(nativeRequest(exchange.getRequest()));
        if (decorated != null) {
            return handOver(decorated, exchange, chain);
        }
        if (exchange.getAttribute(SKIPPED_ATTRIBUTE) != null) {
            // the decorator left the request out, and made it run in a context that is not sampled
            return chain.filter(exchange);
        }
        return Mono.deferContextual(context -> {
            Object inContext = context.getOrDefault(TraceContextThreadLocalAccessor.KEY, null);
            // the chain got a request that hides the server's (one of a type of the application's own, or a mock
            // server's): the decorator's span is the one in the Context
            ServerSpan found = inContext != null ? startedWith(inContext) : null;
            if (found != null) {
                return handOver(found, exchange, chain);
            }
            ServerSpan state = start(exchange.getRequest(), exchange.getResponse());
            if (state == SKIPPED) {
                return untraced(() -> chain.filter(exchange));
            }
            if (state == null) {
                return chain.filter(exchange);
            }
            state.exchange = exchange;
            exchange.getAttributes().put(SPAN_ATTRIBUTE, state.span);
            Mono<Void> result;
            boolean entered = makeCurrent(state.span.context());
            try {
                result = chain.filter(exchange);
            }
            finally {
                if (entered) {
                    current.restore();
                }
            }
            return new EndingSpan(result, null, state, exchange.getResponse());
        });
    }

    /**
     * A {@code WebExceptionHandler} to put ahead of the application's (the HttpHandler builder's
     * customizer does): it keeps, for the decorator's span, the error the chain failed with, before
     * any exception handler answers it or fails in turn, and passes it on. It runs only for a failed
     * request: it hands the error to the span's state where the handoff map holds it, else it puts it
     * in the exchange's attributes, which the span reads when it ends.
     */
    public WebExceptionHandler errorRecorder() {
        return (exchange, ex) -> {
            if (exchange.getResponse().isCommitted()) {
                // the status went out before the failure: it says nothing of how the failure was answered
                exchange.getAttributes().put(FAILED_AFTER_COMMIT_ATTRIBUTE, Boolean.TRUE);
            }
            ServerSpan decorated = started.isEmpty() ? null : started.get(nativeRequest(exchange.getRequest()));
            if (decorated != null) {
                if (decorated.exchange == null) {
                    // the chain failed before the filter handed the exchange over: its route and handlers' errors
                    decorated.exchange = exchange;
                }
                decorated.failed(ex);
            }
            else {
                exchange.getAttributes().putIfAbsent(ERROR_ATTRIBUTE, ex);
            }
            return Mono.error(ex);
        };
    }

    /**
     * Gives the decorator's span the exchange, whose route names it when it ends, and the request as
     * the application sees it, where that differs from the server's.
     */
    private Mono<Void> handOver(ServerSpan decorated, ServerWebExchange exchange, WebFilterChain chain) {
        decorated.exchange = exchange;
        exchange.getAttributes().put(SPAN_ATTRIBUTE, decorated.span);
        ServerHttpRequest seen = exchange.getRequest();
        if (seen != decorated.request) {
            tagAsForwarded(decorated, seen);
        }
        return chain.filter(exchange);
    }

    /**
     * Tags the span with the scheme, host and client address of {@code forwarded}, where they differ
     * from those of the request the span started with: Spring's {@code ForwardedHeaderTransformer}
     * ({@code server.forward-headers-strategy=framework}) applies the proxy's {@code Forwarded} or
     * {@code X-Forwarded-*} headers inside the adapter the decorator wraps, so the span records the
     * request as the proxy's client made it, as the application sees it (and as the servlet filter
     * does behind Spring's {@code ForwardedHeaderFilter}).
     */
    private void tagAsForwarded(ServerSpan state, ServerHttpRequest forwarded) {
        Span span = state.span;
        if (span.isNoop() || state.request == null) {
            return;
        }
        try {
            URI before = state.request.getURI();
            URI after = forwarded.getURI();
            String scheme = Objects.equals(before.getScheme(), after.getScheme()) ? null : after.getScheme();
            String host = Objects.equals(before.getHost(), after.getHost()) ? null : after.getHost();
            InetSocketAddress remote = forwarded.getRemoteAddress();
            String client = remote == null || remote.equals(state.request.getRemoteAddress()) ? null
                    : clientAddress(forwarded);
            policy.tagServerAddresses(span, scheme, host, client);
        }
        catch (RuntimeException ex) {
            // tracing never fails a request: the span keeps the server's view
        }
    }

    /** The decorator's state of the span whose context is {@code context}, or null. */
    private ServerSpan startedWith(Object context) {
        for (ServerSpan state : started.values()) {
            if (state.span.context().equals(context)) {
                return state;
            }
        }
        return null;
    }

    /**
     * The server's own request under {@code request}'s wrappers, or the innermost wrapped request where
     * there is none: a test's mock request, which has no server (and would say so with an exception, a
     * stack trace per call, several per request).
     */
    private static Object nativeRequest(ServerHttpRequest request) {
        ServerHttpRequest inner = request;
        while (inner instanceof ServerHttpRequestDecorator decorator) {
            inner = decorator.getDelegate();
        }
        if (!(inner instanceof AbstractServerHttpRequest serverRequest) || inner.getClass() == MOCK_REQUEST) {
            return inner;
        }
        try {
            Object nativeRequest = serverRequest.getNativeRequest();
            return nativeRequest != null ? nativeRequest : inner;
        }
        catch (RuntimeException ex) {
            return inner;
        }
    }

    /**
     * Starts the span of a request; returns {@link #SKIPPED} when the skip pattern leaves it out, null
     * when tracing failed; never throws.
     */
    private ServerSpan start(ServerHttpRequest request, ServerHttpResponse response) {
        try {
            String path = request.getPath().pathWithinApplication().value();
            if (policy.skip(path)) {
                return SKIPPED;
            }
            String method = request.getMethod().name();
            URI uri = request.getURI();
            String query = policy.recordsQuery() ? uri.getRawQuery() : null;
            Span span = policy.startServerSpan(propagator.extract(request, GETTER), method, uri.getScheme(), path,
                    query, uri.getHost(), request, reader);
            String header = policy.responseHeader();
            if (header != null) {
                response.getHeaders().set(header, policy.responseHeaderValue(span.context()));
            }
            return new ServerSpan(span, method, request);
        }
        catch (RuntimeException ex) {
            // tracing never fails a request
            return null;
        }
    }

    private String clientAddress(ServerHttpRequest request) {
        InetSocketAddress remote = request.getRemoteAddress();
        if (remote == null) {
            return null;
        }
        InetAddress address = remote.getAddress();
        if (address == null) {
            return remote.getHostString();
        }
        int slot = address.hashCode() & (clients.length - 1);
        FormattedAddress known = clients[slot];
        // an IPv6 address equal to another may differ in its scope, which its text names
        if (known != null && (known.address == address
                || (address instanceof Inet4Address && address.equals(known.address)))) {
            return known.text;
        }
        String text = address.getHostAddress();
        clients[slot] = new FormattedAddress(address, text);
        return text;
    }

    /** A client address and its text. */
    private record FormattedAddress(InetAddress address, String text) {
    }

    private void end(ServerSpan state, ServerHttpResponse response, boolean cancelled, boolean upgraded) {
        try {
            Map<String, Object> attributes = state.attributes();
            // the recorder saw the chain's failure before any exception handler could fail in turn
            Throwable error = attributes.get(ERROR_ATTRIBUTE) instanceof Throwable recorded ? recorded : state.error;
            Object lastHandled = attributes.get(ExceptionHandlingWebHandler.HANDLED_WEB_EXCEPTION);
            if (error == null && lastHandled instanceof Throwable failed) {
                // no recorder ran (a WebExceptionHandler ahead of it answered): what the last handler saw
                error = failed;
            }
            HttpStatusCode code = response.getStatusCode();
            int status;
            if (upgraded) {
                // Switching Protocols went out; what follows is the session
                status = 101;
            }
            else if (cancelled && !response.isCommitted()) {
                // the client went away before any answer: no status was sent (the response's is its default, 200)
                status = 0;
            }
            else if (error != null && !response.isCommitted()) {
                // no exception handler has answered yet (the filter-only path): the error decides
                status = error instanceof ResponseStatusException
                        ? ((ResponseStatusException) error).getStatusCode().value() : 500;
            }
            else {
                status = code != null ? code.value() : 200;
            }
            if (status >= 500 && error instanceof ResponseStatusException rejected
                    && rejected.getStatusCode().is4xxClientError() && lastHandled instanceof Throwable failed
                    && failed != error) {
                // a 4xx an exception handler failed to answer: the server error is that failure
                error = failed;
            }
            // a 4xx answered from an exception (a ResponseStatusException, an exception Boot answers from
            // its @ResponseStatus, one an ErrorWebExceptionHandler of the application maps to 400) is the
            // client's error, not ours: the exception is recorded, the span is no error
            // (one thrown with a server error's status, after a 200 went out mid-stream, stays ours)
            boolean clientError = error != null && (status >= 400 && status < 500
                    && attributes.get(FAILED_AFTER_COMMIT_ATTRIBUTE) == null
                    || error instanceof ResponseStatusException rejected
                            && !rejected.getStatusCode().is5xxServerError() && status < 500);
            Throwable handled = clientError ? error : error == null ? handledError(attributes) : null;
            policy.endServerSpan(state.span, state.method, route(attributes), status, clientError ? null : error,
                    handled, cancelled);
        }
        catch (RuntimeException ex) {
            state.span.end();
        }
    }

    /**
     * The exception an {@code @ExceptionHandler} handled, where the application gave it to Spring's
     * server Observation as Spring documents ({@code ServerRequestObservationContext.findCurrent(
     * exchange.getAttributes()).ifPresent(context -> context.setError(ex))}): Spring WebFlux itself
     * hands a handled exception to nothing a filter can read.
     */
    private static Throwable handledError(Map<String, Object> attributes) {
        Object context = attributes.get(ServerRequestObservationContext.CURRENT_OBSERVATION_CONTEXT_ATTRIBUTE);
        return context instanceof ServerRequestObservationContext observed ? observed.getError() : null;
    }

    private static String route(Map<String, Object> attributes) {
        Object pattern = attributes.get(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
        if (pattern == null) {
            pattern = attributes.get(RouterFunctions.MATCHING_PATTERN_ATTRIBUTE);
        }
        if (pattern instanceof PathPattern) {
            return ((PathPattern) pattern).getPatternString();
        }
        return pattern == null ? null : pattern.toString();
    }

    /**
     * The request's exchange, ending its span once on completion, error or cancel, with the span's
     * context in the Reactor Context upstream sees, and current on the thread while the exchange is
     * subscribed to, requested from or cancelled, and while its end is passed on to the server.
     *
     * <p>Design notes: this replaces a {@code contextWrite} after it (with Reactor's automatic
     * propagation, a restoring one), without that operator's publisher and function. In both
     * propagation modes Spring's adapter taps the exchange, and Reactor restores the Context around
     * each of the tap's callbacks; the three that run as the exchange is subscribed to find the span
     * already current and change nothing, where each would otherwise set it and its MDC entries and
     * take them away again. What runs synchronously as the request is subscribed to (a controller
     * method that needs no request body) has the span current in {@code limited} mode too. With
     * automatic propagation Reactor wraps the subscriber of a publisher that is not one of its own
     * in one that restores the subscriber's Context around each signal passed on; this operator
     * tells Reactor it needs none ({@link #scanUnsafe}). That wrapper took the span and its MDC
     * entries away around each signal passed to the server (whose Context has no span) and the
     * span's own calls upstream set them again inside: 6 of the 18 changes of the thread's context
     * (and of the MDC) per request of the benchmark app's {@code /front}, and an object. Instead,
     * the end is passed on with the span current whatever thread state it arrived with (in
     * {@code auto} mode usually the span already: a push of the same context, no MDC write; a
     * completion from a shared source may come on another request's stack), so the code that runs
     * on it synchronously logs with this request's trace, in both modes: as a decorator, Spring's
     * adapter ("Handling completed") and Reactor Netty as they finish the response (what Reactor
     * Netty does later, once a write completes, runs without it); as a filter, Spring's exception
     * handlers after it (Spring's own Observation tap, further down, restores the server's Context
     * for the rest). Nothing is left on the thread: each signal puts back what it found.
     */
    private final class EndingSpan extends ReactorOwnOperator {

        /** The key of the decorator's handoff to the filter, removed on end; null where there is none. */
        private final Object decorated;

        private final ServerSpan state;

        private final ServerHttpResponse response;

        EndingSpan(Mono<Void> exchange, Object decorated, ServerSpan state, ServerHttpResponse response) {
            super(exchange);
            this.decorated = decorated;
            this.state = state;
            this.response = response;
        }

        @Override
        public void subscribe(CoreSubscriber<? super Void> actual) {
            TraceContext trace = state.span.context();
            Context context = actual.currentContext().put(TraceContextThreadLocalAccessor.KEY, trace);
            boolean entered = makeCurrent(trace);
            try {
                source.subscribe(new EndingSubscriber(actual, context));
            }
            finally {
                if (entered) {
                    current.restore();
                }
            }
        }

        private final class EndingSubscriber extends EndOnceSubscriber<Void> {

            EndingSubscriber(CoreSubscriber<? super Void> actual, Context context) {
                super(actual, context);
            }

            @Override
            boolean enter() {
                return makeCurrent(state.span.context());
            }

            @Override
            void exit() {
                current.restore();
            }

            @Override
            void end(Throwable error, boolean cancelled) {
                if (decorated != null) {
                    started.remove(decorated, state);
                }
                if (error != null) {
                    state.failed(error);
                }
                // a WebSocket's handshake is written by Reactor Netty, not through the response, and its session
                // ends when the connection closes (a handshake Reactor Netty refused fails the chain); a streamed
                // body whose client went away completes, not cancels: Reactor Netty ends the write when the
                // connection closes, before it tells anyone else
                ConnectionAtEnd connection = error == null && REACTOR_NETTY ? ReactorNetty.connection(response)
                        : ConnectionAtEnd.OPEN;
                TraceWebFilter.this.end(state, response, cancelled || connection == ConnectionAtEnd.CLOSED,
                        connection == ConnectionAtEnd.UPGRADED);
            }

        }

    }

    /** What the decorator and the filter share about one request's span. */
    private static final boolean REACTOR_NETTY = ClassUtils.isPresent("reactor.netty.Connection",
            TraceWebFilter.class.getClassLoader());

    /** Spring's response over Reactor Netty's, or null without Reactor Netty. */
    private static final Class<?> REACTOR_RESPONSE = REACTOR_NETTY
            ? resolve("org.springframework.http.server.reactive.ReactorServerHttpResponse") : null;

    /** Spring's mock request (spring-test), or null outside tests. */
    private static final Class<?> MOCK_REQUEST = resolve(
            "org.springframework.mock.http.server.reactive.MockServerHttpRequest");

    private static Class<?> resolve(String className) {
        try {
            return ClassUtils.forName(className, TraceWebFilter.class.getClassLoader());
        }
        catch (ClassNotFoundException | LinkageError ex) {
            return null;
        }
    }

    /**
     * An operator over the exchange that tells Reactor it is one of its own ({@link #scanUnsafe}): with
     * automatic propagation, Reactor would otherwise wrap its subscriber in one that restores the
     * subscriber's Context (the server's, without the trace) around each signal passed on.
     */
    private abstract static class ReactorOwnOperator extends MonoOperator<Void, Void> {

        ReactorOwnOperator(Mono<Void> exchange) {
            super(exchange);
        }

        @Override
        public Object scanUnsafe(Attr key) {
            if (key.getClass() == INTERNAL_PRODUCER_ATTR) {
                return true;
            }
            return super.scanUnsafe(key);
        }

    }

    /**
     * A skipped request's exchange in its unsampled context: in the Reactor Context upstream sees, and
     * current on the thread while the exchange is subscribed to, as a traced request's span is
     * ({@link EndingSpan}), so that what runs as it is subscribed to (a controller method that needs no
     * request body) joins it with {@code limited} propagation too.
     */
    private final class Untraced extends ReactorOwnOperator {

        private final TraceContext context;

        Untraced(Mono<Void> exchange, TraceContext context) {
            super(exchange.contextWrite(view -> view.put(TraceContextThreadLocalAccessor.KEY, context)));
            this.context = context;
        }

        @Override
        public void subscribe(CoreSubscriber<? super Void> actual) {
            boolean entered = makeCurrent(context);
            try {
                source.subscribe(actual);
            }
            finally {
                if (entered) {
                    current.restore();
                }
            }
        }

    }

    /** What became of the connection of an exchange that completed without error. */
    private enum ConnectionAtEnd {
        /** Open, or not Reactor Netty's. */
        OPEN,
        /** Closed: the client went away. */
        CLOSED,
        /** A WebSocket session over HTTP/1.1 (101 Switching Protocols; over HTTP/2 the handshake is a 200). */
        UPGRADED
    }

    /** Reads Reactor Netty's connection; only loaded when Reactor Netty is there. */
    private static final class ReactorNetty {

        /**
         * What became of the connection under {@code response}: its native response read once, and only
         * from Spring's Reactor Netty response (any other, a test's mock above all, is {@code OPEN}).
         */
        static ConnectionAtEnd connection(ServerHttpResponse response) {
            ServerHttpResponse inner = response;
            while (inner instanceof ServerHttpResponseDecorator decorator) {
                inner = decorator.getDelegate();
            }
            if (REACTOR_RESPONSE == null || !REACTOR_RESPONSE.isInstance(inner)) {
                return ConnectionAtEnd.OPEN;
            }
            try {
                Object nativeResponse = ((AbstractServerHttpResponse) inner).getNativeResponse();
                if (nativeResponse instanceof HttpServerResponse netty && netty.isWebsocket()
                        && netty.version().majorVersion() == 1) {
                    return ConnectionAtEnd.UPGRADED;
                }
                // the client left while the body was still being written (a stream): the connection is closed
                // and the response's outbound never completed. A body written whole (a Mono's, an error page)
                // completes the outbound as it goes out, and its connection is closed just after when the
                // client asked (Connection: close); a keep-alive one stays open
                return nativeResponse instanceof ChannelOperations<?, ?> operations && !operations.channel().isActive()
                        && !operations.isSubscriptionDisposed() ? ConnectionAtEnd.CLOSED : ConnectionAtEnd.OPEN;
            }
            catch (RuntimeException ex) {
                return ConnectionAtEnd.OPEN;
            }
        }

    }

    /** What {@link #start} returns for a request the skip pattern leaves out. */
    private static final ServerSpan SKIPPED = new ServerSpan(Span.NOOP, "", null);

    /** Request attribute that tells the filter the decorator left the request out. */
    private static final String SKIPPED_ATTRIBUTE = TraceWebFilter.class.getName() + ".skipped";

    private static final class ServerSpan {

        final Span span;

        final String method;

        volatile ServerWebExchange exchange;

        /** The request the span started with: its attributes are the exchange's where the exchange is built over it. */
        final ServerHttpRequest request;

        volatile Throwable error;

        ServerSpan(Span span, String method, ServerHttpRequest request) {
            this.span = span;
            this.method = method;
            this.request = request;
        }

        /** The exchange's attributes, where they can be read; empty otherwise. */
        Map<String, Object> attributes() {
            ServerWebExchange known = exchange;
            return known != null ? known.getAttributes() : request.getAttributes();
        }

        void failed(Throwable error) {
            if (this.error == null) {
                this.error = error;
            }
        }

    }
}
