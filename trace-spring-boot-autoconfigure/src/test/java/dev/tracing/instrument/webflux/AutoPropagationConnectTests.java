package dev.tracing.instrument.webflux;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.tracing.context.ReactorTracing;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.ReactorPropagationState;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
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
 * With {@code trace.reactor.context-propagation=auto} (the default), the trace entry stays in the
 * Reactor Context of Reactor Netty's connect, so code an application hangs on the {@code HttpClient}
 * of Boot's WebClient reads the call's trace from it (with {@code limited} the connect goes without
 * it). Reactor Netty calls such hooks outside any operator, so they do not get the trace as the
 * current span or in the MDC, in either mode.
 */
@SpringBootTest(classes = WebFluxTracingApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "spring.application.name=webflux-auto-connect",
                "trace.reactor.context-propagation=auto", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0" })
@Import(AutoPropagationConnectTests.ConnectHook.class)
@ExtendWith(ReactorPropagationState.RestoredAfterAll.class)
class AutoPropagationConnectTests {

    /** The trace and span ids in the Reactor Context of the connect's request hook, by request path. */
    static final Map<String, List<String>> seenInHook = new ConcurrentHashMap<>();

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Test
    void anHttpClientHookOfTheApplicationReadsTheCallsTraceFromItsReactorContext() throws Exception {
        HttpResponse<String> response = TraceAssertions.get(port, "/chain/auto-connect-1");
        assertThat(response.statusCode()).isEqualTo(200);
        String traceId = JsonMapper.builder().build().readTree(response.body()).get("traceId").asString();
        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, traceId, 3);
        FinishedSpan server = only(spans, span -> "GET /chain/{marker}".equals(span.getName()));
        FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        assertThat(client.getParentId()).isEqualTo(server.getSpanId());
        // the entry the WebClient's caller wrote: the SERVER span the call is a child of
        assertThat(seenInHook.get("/downstream/auto-connect-1")).containsExactly(traceId, server.getSpanId());
    }

    static class ConnectHook {

        /** An application's hook on Boot's HttpClient: it runs inside Reactor Netty's connect. */
        @Bean
        ClientHttpConnectorBuilderCustomizer<ReactorClientHttpConnectorBuilder> recordWhatTheHookSees() {
            return builder -> builder.withHttpClientCustomizer(client -> client.doOnRequest((request, connection) -> {
                TraceContext trace = ReactorTracing.traceContext(request.currentContextView());
                seenInHook.put(request.uri(), trace == null ? List.of() : List.of(trace.traceId(), trace.spanId()));
            }));
        }

    }

}
