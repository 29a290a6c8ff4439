package dev.tracing.instrument.webflux;

import java.net.InetSocketAddress;
import java.util.List;

import dev.tracing.context.TraceContextThreadLocalAccessor;
import dev.tracing.instrument.http.HttpSpanPolicy;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import org.springframework.web.util.pattern.PathPattern;

/**
 * Starts a SERVER span for each incoming WebFlux request, as a child of the context the
 * propagator extracts from the request headers (or as a new trace), and makes it the current
 * span of the whole reactive chain through the Reactor Context.
 *
 * <p>Design notes: the span ends in {@code doFinally}, which Reactor signals exactly once, on
 * completion, error or cancellation (the client went away). The route pattern is read at that
 * point, after handler mapping has matched it. Errors are seen here before Spring's exception
 * handlers write the response, so the status of an error is taken from the exception
 * ({@link ResponseStatusException}) or is 500.
 */
public final class TraceWebFilter implements WebFilter, Ordered {

    /** Exchange attribute holding the request's SERVER span. */
    public static final String SPAN_ATTRIBUTE = TraceWebFilter.class.getName() + ".span";

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

    private final Tracer tracer;

    private final Propagator propagator;

    private final HttpSpanPolicy policy;

    public TraceWebFilter(Tracer tracer, Propagator propagator, HttpSpanPolicy policy) {
        this.tracer = tracer;
        this.propagator = propagator;
        this.policy = policy;
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        String path = request.getPath().pathWithinApplication().value();
        if (policy.skip(path) || exchange.getAttribute(SPAN_ATTRIBUTE) != null) {
            return chain.filter(exchange);
        }
        Span span;
        try {
            span = startSpan(exchange, request, path);
        }
        catch (RuntimeException ex) {
            // tracing never fails a request
            return chain.filter(exchange);
        }
        String method = request.getMethod().name();
        Throwable[] error = new Throwable[1];
        Mono<Void> result;
        try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
            result = chain.filter(exchange);
        }
        return result.doOnError(ex -> error[0] = ex)
            .doFinally(signal -> end(exchange, span, method, error[0], signal))
            .contextWrite(context -> context.put(TraceContextThreadLocalAccessor.KEY, span.context()));
    }

    private Span startSpan(ServerWebExchange exchange, ServerHttpRequest request, String path) {
        InetSocketAddress remote = request.getRemoteAddress();
        String client = remote == null ? null
                : remote.getAddress() != null ? remote.getAddress().getHostAddress() : remote.getHostString();
        HttpHeaders headers = request.getHeaders();
        Span span = policy.startServerSpan(propagator.extract(request, GETTER), request.getMethod().name(),
                request.getURI().getScheme(), path, request.getURI().getHost(), client, headers::getFirst);
        exchange.getAttributes().put(SPAN_ATTRIBUTE, span);
        String header = policy.responseHeader();
        if (header != null) {
            exchange.getResponse().getHeaders().set(header, policy.responseHeaderValue(span.context()));
        }
        return span;
    }

    private void end(ServerWebExchange exchange, Span span, String method, Throwable error, SignalType signal) {
        try {
            int status;
            if (error instanceof ResponseStatusException) {
                status = ((ResponseStatusException) error).getStatusCode().value();
            }
            else if (error != null) {
                status = 500;
            }
            else {
                HttpStatusCode code = exchange.getResponse().getStatusCode();
                status = code == null ? 200 : code.value();
            }
            Throwable recorded = error instanceof ResponseStatusException && status < 500 ? null : error;
            policy.endServerSpan(span, method, route(exchange), status, recorded, signal == SignalType.CANCEL);
        }
        catch (RuntimeException ex) {
            span.end();
        }
    }

    private static String route(ServerWebExchange exchange) {
        Object pattern = exchange.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
        if (pattern == null) {
            pattern = exchange.getAttribute(RouterFunctions.MATCHING_PATTERN_ATTRIBUTE);
        }
        if (pattern instanceof PathPattern) {
            return ((PathPattern) pattern).getPatternString();
        }
        return pattern == null ? null : pattern.toString();
    }
}
