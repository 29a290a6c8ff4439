package dev.tracing.instrument.webflux;

import java.net.URI;
import java.util.concurrent.atomic.AtomicReference;

import dev.tracing.context.ReactorTracing;
import dev.tracing.context.TraceContextThreadLocalAccessor;
import dev.tracing.testing.ReactorPropagationState;
import io.micrometer.observation.Observation;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.micrometer.tracing.TraceContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

import org.springframework.http.HttpMethod;
import org.springframework.http.client.reactive.ClientHttpConnector;
import org.springframework.http.client.reactive.ClientHttpResponse;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.mock.http.client.reactive.MockClientHttpRequest;
import org.springframework.mock.http.client.reactive.MockClientHttpResponse;
import org.springframework.web.reactive.function.client.WebClient;

import static dev.tracing.testing.WebClientBuilders.connectorOf;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the connector a WebClient connects through sees of Spring's Observation entry and of the
 * trace entry, and what the request it writes sees, with and without Reactor's automatic
 * propagation. The delegate connector stands
 * in for Reactor Netty: it records the Context it is subscribed with, and subscribes the request
 * callback inside its connect, as Reactor Netty subscribes the body.
 */
@ExtendWith(ReactorPropagationState.RestoredAfterEach.class)
class ObservationEntryTrimmingConnectorTests {

    private static final String OBSERVATION = ObservationThreadLocalAccessor.KEY;

    private static final String TRACE = TraceContextThreadLocalAccessor.KEY;

    private final AtomicReference<ContextView> connectedWith = new AtomicReference<>();

    private final AtomicReference<ContextView> writtenWith = new AtomicReference<>();

    private final ClientHttpConnector recording = (method, uri, callback) -> Mono.deferContextual(connect -> {
        connectedWith.set(connect);
        return callback.apply(new MockClientHttpRequest(method, uri))
            .then(Mono.<ClientHttpResponse>just(new MockClientHttpResponse(200)));
    });

    @Test
    void withLimitedPropagationTheConnectLacksTheObservationAndTheRequestHasItBack() {
        Hooks.disableAutomaticContextPropagation();
        connectLacksTheObservationAndKeepsTheTrace();
    }

    @Test
    void withAutomaticPropagationTheConnectLacksTheObservationAndTheRequestHasItBack() {
        Hooks.enableAutomaticContextPropagation();
        connectLacksTheObservationAndKeepsTheTrace();
    }

    @Test
    void withoutAnObservationOrATraceTheContextIsLeftAsItIs() {
        Hooks.disableAutomaticContextPropagation();

        connect(Context.of(TRACE, TraceContext.NOOP));
        assertThat(connectedWith.get().<Object>get(TRACE)).isSameAs(TraceContext.NOOP);
        assertThat(connectedWith.get().size()).isEqualTo(1);

        connect(Context.of(OBSERVATION, Observation.NOOP));
        assertThat(connectedWith.get().<Object>get(OBSERVATION)).isSameAs(Observation.NOOP);
        assertThat(connectedWith.get().size()).isEqualTo(1);
    }

    @Test
    void onlyReactorNettysConnectorIsWrapped() {
        ReactorClientHttpConnector reactorNetty = new ReactorClientHttpConnector();
        WebClient.Builder builder = WebClient.builder();
        new TraceWebClientConnectorCustomizer(() -> reactorNetty).customize(builder);
        assertThat(connectorOf(builder)).isInstanceOfSatisfying(ObservationEntryTrimmingConnector.class,
                wrapped -> assertThat(wrapped.delegate()).isSameAs(reactorNetty));

        WebClient.Builder jdk = WebClient.builder().clientConnector(new ReactorClientHttpConnector());
        ClientHttpConnector set = connectorOf(jdk);
        new TraceWebClientConnectorCustomizer(JdkClientHttpConnector::new).customize(jdk);
        assertThat(connectorOf(jdk)).as("another client's connector: the builder's left as it was").isSameAs(set);

        WebClient.Builder none = WebClient.builder();
        new TraceWebClientConnectorCustomizer(() -> null).customize(none);
        assertThat(connectorOf(none)).as("no connector bean: none set").isNull();
    }

    private void connectLacksTheObservationAndKeepsTheTrace() {
        Object observation = Observation.NOOP;
        Object trace = TraceContext.NOOP;

        connect(Context.of(OBSERVATION, observation, TRACE, trace, "other", "kept"));

        assertThat(connectedWith.get().hasKey(OBSERVATION)).isFalse();
        assertThat(ReactorTracing.traceContext(connectedWith.get())).isSameAs(trace);
        assertThat(connectedWith.get().size()).as("one key fewer").isEqualTo(2);
        assertThat(writtenWith.get().<Object>get(OBSERVATION)).isSameAs(observation);
        assertThat(writtenWith.get().<Object>get(TRACE)).isSameAs(trace);
        assertThat(writtenWith.get().<String>get("other")).isEqualTo("kept");
    }

    private void connect(Context context) {
        new ObservationEntryTrimmingConnector(recording)
            .connect(HttpMethod.POST, URI.create("http://localhost/upload"),
                    // what writing the request (its body) sees, as WebClient's callback would
                    request -> Mono.deferContextual(written -> {
                        writtenWith.set(written);
                        return request.setComplete();
                    }))
            .contextWrite(context)
            .block();
    }

}
