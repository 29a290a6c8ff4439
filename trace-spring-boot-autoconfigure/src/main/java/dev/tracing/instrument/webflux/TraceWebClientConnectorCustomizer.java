package dev.tracing.instrument.webflux;

import java.util.function.Supplier;

import org.springframework.boot.webclient.WebClientCustomizer;
import org.springframework.core.Ordered;
import org.springframework.http.client.reactive.ClientHttpConnector;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Has every {@code WebClient.Builder} Spring Boot hands out connect through a
 * {@link ObservationEntryTrimmingConnector} around the Reactor Netty connector Boot set on it.
 *
 * <p>Design notes: Boot's own customizer sets its connector bean at order 0; this one has the same
 * order and is registered after it (its auto-configuration comes after Boot's), so it runs right
 * after and wraps that same bean, and a connector an application's customizer sets later (at any
 * order above 0) is used as it is, unwrapped. Only a {@link ReactorClientHttpConnector}
 * is wrapped: the Context copies it saves are Reactor Netty's. The bean itself is left alone, so its
 * lifecycle and type stay Boot's.
 */
public final class TraceWebClientConnectorCustomizer implements WebClientCustomizer, Ordered {

    /** Spring Boot's customizer that sets the connector has order 0: this one, registered after it, runs next. */
    public static final int ORDER = 0;

    private final Supplier<ClientHttpConnector> connector;

    /** Creates a customizer wrapping the connector {@code connector} returns (null when there is none). */
    public TraceWebClientConnectorCustomizer(Supplier<ClientHttpConnector> connector) {
        this.connector = connector;
    }

    @Override
    public void customize(WebClient.Builder builder) {
        ClientHttpConnector bootConnector = connector.get();
        if (bootConnector instanceof ReactorClientHttpConnector) {
            builder.clientConnector(new ObservationEntryTrimmingConnector(bootConnector));
        }
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

}
