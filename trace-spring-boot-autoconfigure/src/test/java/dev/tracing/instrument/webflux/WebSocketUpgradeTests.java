package dev.tracing.instrument.webflux;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.instrument.http.HttpSpanPolicy;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpHeaders;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A WebSocket upgrade's SERVER span says what went out, {@code 101 Switching Protocols}, and a
 * session the client closes is not a cancelled request: Reactor Netty writes the handshake
 * itself, and the session ends when the connection closes.
 */
@SpringBootTest(classes = WebSocketUpgradeTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class WebSocketUpgradeTests {

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Test
    void anUpgradeIsA101AndASessionTheClientClosesIsNotCancelled() {
        String traceId = "7bf92f3577b34da6a3ce929d0e0e4736";
        HttpHeaders headers = new HttpHeaders();
        headers.set("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01");
        AtomicReference<String> echoed = new AtomicReference<>();
        new ReactorNettyWebSocketClient()
            .execute(URI.create("ws://127.0.0.1:" + port + "/echo"), headers,
                    session -> session.send(Mono.just(session.textMessage("hello")))
                        .then(session.receive().next().doOnNext(message -> echoed.set(message.getPayloadAsText())))
                        .then(session.close()))
            .block(Duration.ofSeconds(10));
        assertThat(echoed.get()).isEqualTo("hello");

        FinishedSpan server = TraceAssertions.awaitTrace(store, traceId, 1).get(0);
        assertThat(server.getTags()).containsEntry("http.response.status_code", "101")
            .doesNotContainKey(HttpSpanPolicy.CANCELLED_TAG)
            .doesNotContainKey("error");
    }

    @Test
    void aHandshakeReactorNettyRefusesIsNoUpgrade() {
        // a WebSocket version Netty does not speak: it answers 426 Upgrade Required itself
        String traceId = "8bf92f3577b34da6a3ce929d0e0e4736";
        Integer status = HttpClient.create()
            .headers(headers -> headers.set("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")
                .set("Upgrade", "websocket")
                .set("Connection", "Upgrade")
                .set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
                .set("Sec-WebSocket-Version", "99"))
            .get()
            .uri("http://127.0.0.1:" + port + "/echo")
            .responseSingle((response, body) -> Mono.just(response.status().code()))
            .block(Duration.ofSeconds(10));
        assertThat(status).isEqualTo(426);

        FinishedSpan server = TraceAssertions.awaitTrace(store, traceId, 1).get(0);
        assertThat(server.getTags()).doesNotContainEntry("http.response.status_code", "101");
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        @Bean
        HandlerMapping echoMapping() {
            WebSocketHandler echo = session -> session.send(session.receive()
                .map(message -> session.textMessage(message.getPayloadAsText())));
            return new SimpleUrlHandlerMapping(Map.of("/echo", echo), -1);
        }

    }

}
