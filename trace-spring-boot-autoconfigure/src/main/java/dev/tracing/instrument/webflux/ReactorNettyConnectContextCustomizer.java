package dev.tracing.instrument.webflux;

import java.lang.reflect.Field;
import java.util.function.Function;

import dev.tracing.context.TraceContextThreadLocalAccessor;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientConfig;
import reactor.util.context.Context;

import org.springframework.boot.http.client.autoconfigure.reactive.ClientHttpConnectorBuilderCustomizer;
import org.springframework.boot.http.client.reactive.ReactorClientHttpConnectorBuilder;

/**
 * Lets Reactor Netty's HTTP client connect without the trace context entry in its Reactor
 * Context, while Reactor restores thread-locals only where asked
 * ({@code trace.reactor.context-propagation=limited}). The WebClient filters, the exchange and
 * everything after it still see the entry; only Reactor Netty's own connect and send chain,
 * which restores nothing in that mode, does not.
 *
 * <p>Design notes: Reactor Netty subscribes its connect through {@code retryWhen}, which copies the
 * subscriber's Context with one key more, and again on each step inside. A WebFlux request's
 * Context holds Spring's two entries and ours; with the fourth, every copy is a {@code Context4},
 * whose constructor builds a {@code "key" + i} message for each key even when nothing is wrong.
 * Without our entry the copies stay at three keys, which check without building anything: about
 * 1.7 KB less per client call, for 0.2 KB of one {@code contextWrite} and smaller copies. With
 * automatic propagation the entry is left in place: there Reactor restores around the operators
 * inside the connect too, and would clear the trace (and its MDC) in each of them.
 *
 * <p>Reactor Netty keeps one connect mapper ({@code HttpClient.mapConnect}), and a second replaces
 * the first. This customizer is ordered first, so an application's own mapper, set by a later
 * customizer, replaces this one; a client that already has a mapper (one the application's
 * {@code HttpClient} factory set) is left as it is. Whether it has one is read from the
 * configuration's package-private field, the one place Reactor Netty keeps it; where that cannot
 * be read, no client is changed.
 */
public final class ReactorNettyConnectContextCustomizer
        implements ClientHttpConnectorBuilderCustomizer<ReactorClientHttpConnectorBuilder> {

    private static final Function<Context, Context> WITHOUT_TRACE = context -> context
        .hasKey(TraceContextThreadLocalAccessor.KEY) ? context.delete(TraceContextThreadLocalAccessor.KEY) : context;

    private static final Function<Mono<? extends Connection>, Mono<? extends Connection>> CONNECT = connect -> Hooks
        .isAutomaticContextPropagationEnabled() ? connect : connect.contextWrite(WITHOUT_TRACE);

    /** The field of Reactor Netty's configuration holding the connect mapper, or null when it cannot be read. */
    private static final Field MAPPER = mapperField();

    @Override
    public ReactorClientHttpConnectorBuilder customize(ReactorClientHttpConnectorBuilder builder) {
        return builder.withHttpClientCustomizer(ReactorNettyConnectContextCustomizer::customize);
    }

    /**
     * Returns {@code client} connecting without the trace context entry in limited mode, or
     * {@code client} itself when it has a connect mapper already (or whether it has one is unknown).
     */
    static HttpClient customize(HttpClient client) {
        if (MAPPER == null) {
            return client;
        }
        try {
            if (MAPPER.get(client.configuration()) != null) {
                return client;
            }
        }
        catch (ReflectiveOperationException | RuntimeException ex) {
            return client;
        }
        return client.mapConnect(CONNECT);
    }

    private static Field mapperField() {
        try {
            Field field = HttpClientConfig.class.getDeclaredField("connector");
            field.setAccessible(true);
            return Function.class.isAssignableFrom(field.getType()) ? field : null;
        }
        catch (ReflectiveOperationException | RuntimeException ex) {
            return null;
        }
    }

}
