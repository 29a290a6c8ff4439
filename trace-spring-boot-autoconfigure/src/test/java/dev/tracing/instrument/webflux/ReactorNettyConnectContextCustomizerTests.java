package dev.tracing.instrument.webflux;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.tracing.context.ChangeOnlyContextSnapshotFactory;
import dev.tracing.context.TraceContextThreadLocalAccessor;
import dev.tracing.core.Tracing;
import io.micrometer.tracing.TraceContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.util.context.ContextView;

import static org.assertj.core.api.Assertions.assertThat;

/** Reactor Netty's connect, with the customizer applied, against a real Reactor Netty server. */
class ReactorNettyConnectContextCustomizerTests {

    static DisposableServer server;

    static boolean automaticBefore;

    /** A span's context, as the server filter puts it in the Reactor Context. */
    static final TraceContext TRACE = Tracing.newBuilder().build().nextSpan().context();

    final AtomicReference<ContextView> connectedWith = new AtomicReference<>();

    @BeforeAll
    static void startServer() {
        automaticBefore = Hooks.isAutomaticContextPropagationEnabled();
        server = HttpServer.create()
            .host("127.0.0.1")
            .port(0)
            .handle((request, response) -> response.sendString(Mono.just("ok")))
            .bindNow();
    }

    @AfterAll
    static void stopServer() {
        server.disposeNow();
        if (automaticBefore) {
            Hooks.enableAutomaticContextPropagation();
            ChangeOnlyContextSnapshotFactory.installInReactor(true);
        }
    }

    @BeforeEach
    @AfterEach
    void limited() {
        Hooks.disableAutomaticContextPropagation();
    }

    /** Calls the server with a Context holding the trace entry and two others, as many as a WebFlux request's. */
    String call(HttpClient client) {
        return client.doOnRequest((request, connection) -> connectedWith.set(request.currentContextView()))
            .get()
            .uri("http://127.0.0.1:" + server.port() + "/")
            .responseContent()
            .aggregate()
            .asString()
            .contextWrite(context -> context.put(TraceContextThreadLocalAccessor.KEY, TRACE)
                .put("first", "one")
                .put("second", "two"))
            .block(Duration.ofSeconds(10));
    }

    @Test
    void withLimitedPropagationReactorNettyConnectsWithoutTheTraceEntryAndWithTheOthers() {
        assertThat(call(ReactorNettyConnectContextCustomizer.customize(HttpClient.create()))).isEqualTo("ok");
        assertThat(connectedWith.get().hasKey(TraceContextThreadLocalAccessor.KEY)).isFalse();
        assertThat(connectedWith.get().hasKey("first")).isTrue();
        assertThat(connectedWith.get().hasKey("second")).isTrue();
        // what the customizer spares: without it Reactor Netty connects with four entries and more
        assertThat(connectedWith.get().size()).isLessThanOrEqualTo(3);
    }

    @Test
    void withoutTheCustomizerReactorNettyConnectsWithTheTraceEntry() {
        assertThat(call(HttpClient.create())).isEqualTo("ok");
        assertThat(connectedWith.get().hasKey(TraceContextThreadLocalAccessor.KEY)).isTrue();
        assertThat(connectedWith.get().size()).isGreaterThan(3);
    }

    @Test
    void withAutomaticPropagationTheEntryStaysForTheRestoresInsideTheConnect() {
        HttpClient client = ReactorNettyConnectContextCustomizer.customize(HttpClient.create());
        Hooks.enableAutomaticContextPropagation();
        assertThat(call(client)).isEqualTo("ok");
        assertThat(connectedWith.get().hasKey(TraceContextThreadLocalAccessor.KEY)).isTrue();
    }

    @Test
    void aConnectMapperTheClientAlreadyHasIsKept() {
        AtomicInteger mapped = new AtomicInteger();
        HttpClient own = HttpClient.create().mapConnect(connect -> connect.doOnSubscribe(s -> mapped.incrementAndGet()));
        assertThat(call(ReactorNettyConnectContextCustomizer.customize(own))).isEqualTo("ok");
        assertThat(mapped).hasValue(1);
        assertThat(connectedWith.get().hasKey(TraceContextThreadLocalAccessor.KEY)).isTrue();
    }

}
