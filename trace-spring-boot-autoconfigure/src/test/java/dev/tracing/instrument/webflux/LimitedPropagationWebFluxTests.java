package dev.tracing.instrument.webflux;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.tracing.context.ChangeOnlyContextSnapshotFactory;
import dev.tracing.context.TraceContextThreadLocalAccessor;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Hooks;
import reactor.util.context.ContextView;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.http.client.autoconfigure.reactive.ClientHttpConnectorBuilderCustomizer;
import org.springframework.boot.http.client.reactive.ReactorClientHttpConnectorBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

import static dev.tracing.testing.TraceAssertions.only;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A WebFlux request calling downstream through Boot's WebClient while Reactor restores the trace
 * only where asked ({@code trace.reactor.context-propagation=limited}).
 */
@SpringBootTest(classes = WebFluxTracingApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "spring.application.name=webflux-limited",
                "trace.reactor.context-propagation=limited", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0" })
@Import(LimitedPropagationWebFluxTests.ConnectContexts.class)
class LimitedPropagationWebFluxTests {

    /** The Reactor Context each request to {@code /downstream/...} was connected with, by its path. */
    static final Map<String, ContextView> connectedWith = new ConcurrentHashMap<>();

    static boolean automaticBefore;

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    /** Reactor's hook is global: an automatic context that ran earlier in this JVM left it on. */
    @BeforeAll
    static void automaticPropagationOff() {
        automaticBefore = Hooks.isAutomaticContextPropagationEnabled();
        Hooks.disableAutomaticContextPropagation();
    }

    @AfterAll
    static void automaticPropagationAsBefore() {
        if (automaticBefore) {
            Hooks.enableAutomaticContextPropagation();
            ChangeOnlyContextSnapshotFactory.installInReactor(true);
        }
    }

    @Test
    void theCallIsTheRequestsChildAndReactorNettyConnectsWithoutTheTraceEntry() throws Exception {
        HttpResponse<String> response = TraceAssertions.get(port, "/chain/limited-1");
        assertThat(response.statusCode()).isEqualTo(200);
        String traceId = JsonMapper.builder().build().readTree(response.body()).get("traceId").asString();
        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, traceId, 3);
        FinishedSpan server = only(spans, span -> "GET /chain/{marker}".equals(span.getName()));
        FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        FinishedSpan downstream = only(spans,
                span -> span.getKind() == Span.Kind.SERVER && "GET /downstream/{marker}".equals(span.getName()));
        assertThat(client.getParentId()).isEqualTo(server.getSpanId());
        assertThat(downstream.getParentId()).isEqualTo(client.getSpanId());
        assertThat(WebFluxTracingApp.downstreamTraceparents.get("limited-1"))
            .containsExactly("00-" + traceId + "-" + client.getSpanId() + "-01");
        ContextView connect = connectedWith.get("/downstream/limited-1");
        assertThat(connect.hasKey(TraceContextThreadLocalAccessor.KEY)).isFalse();
        assertThat(connect.hasKey("micrometer.observation")).isTrue();
    }

    static class ConnectContexts {

        /** After ours, as an application's customizer would be. */
        @Bean
        ClientHttpConnectorBuilderCustomizer<ReactorClientHttpConnectorBuilder> recordConnectContexts() {
            return builder -> builder.withHttpClientCustomizer(client -> client.doOnRequest(
                    (request, connection) -> connectedWith.put(request.uri(), request.currentContextView())));
        }

    }

}
