package dev.tracing.instrument.webflux;

import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import dev.tracing.context.ReactorTracing;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.LogLines;
import dev.tracing.testing.ReactorPropagationState;
import dev.tracing.testing.TraceAssertions;
import dev.tracing.testing.Waits;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.MDC;
import reactor.util.context.ContextView;
import tools.jackson.databind.JsonNode;
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
 * With {@code trace.reactor.context-propagation=auto} (the default), Boot's WebClient connects
 * through Reactor Netty without Spring's Observation entry in its Reactor Context, as with
 * {@code limited}, and with the trace entry: code the application hangs on the {@code HttpClient}
 * reads the call's parent span with {@code ReactorTracing.traceContext} (an observed section's,
 * where the call is made in one), and an operator inside the connect logs with it in the MDC; the
 * operators after the response run with the trace as the current span and in the MDC, and the
 * WebClient's Observation still records its timer.
 * {@link KeptConnectEntryTests} turns the trimming off.
 */
@SpringBootTest(classes = WebFluxTracingApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "spring.application.name=webflux-auto-connect",
                "trace.reactor.context-propagation=auto", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0" })
@Import(AutoPropagationConnectTests.ConnectHook.class)
@ExtendWith(ReactorPropagationState.RestoredAfterAll.class)
class AutoPropagationConnectTests {

    /**
     * The trace and span ids in the Reactor Context of the connect's request hook, and whether it held
     * Spring's Observation, by request path.
     */
    static final Map<String, List<String>> seenInHook = new ConcurrentHashMap<>();

    /** The MDC trace and span ids an operator inside the connect (after the connection is acquired) saw last. */
    static final AtomicReference<List<String>> mdcInConnect = new AtomicReference<>();

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Autowired
    MeterRegistry meters;

    @Test
    void insideTheConnectTheTraceIsThereAndTheObservationIsNot() throws Exception {
        mdcInConnect.set(null);
        try (LogLines lines = LogLines.capture(WebFluxTracingApp.Endpoints.class.getName())) {
            HttpResponse<String> response = TraceAssertions.get(port, "/after-call/auto-trimmed-1");
            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode seen = JsonMapper.builder().build().readTree(response.body());
            String traceId = seen.get("mdcTraceId").asString();
            List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, traceId, 3);
            FinishedSpan server = only(spans, span -> "GET /after-call/{marker}".equals(span.getName()));
            FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
            assertThat(client.getParentId()).isEqualTo(server.getSpanId());
            // inside the connect: the caller's SERVER span in the Reactor Context and the MDC, no Observation
            assertThat(seenInHook.get("/downstream/auto-trimmed-1"))
                .containsExactly(traceId, server.getSpanId(), "no observation");
            assertThat(mdcInConnect.get()).containsExactly(traceId, server.getSpanId());
            // after the response
            assertThat(seen.get("currentSpanId").asString()).isEqualTo(server.getSpanId());
            assertThat(lines.lines()).filteredOn(line -> line.message().startsWith("after call auto-trimmed-1"))
                .singleElement()
                .satisfies(line -> {
                    assertThat(line.traceId()).isEqualTo(traceId);
                    assertThat(line.spanId()).isEqualTo(server.getSpanId());
                });
        }
    }

    @Test
    void insideAnObservedSectionTheConnectSeesTheSectionsSpanTheCallsParent() throws Exception {
        mdcInConnect.set(null);
        HttpResponse<String> response = TraceAssertions.get(port, "/observed/auto-observed-1");
        assertThat(response.statusCode()).isEqualTo(200);
        List<String> hook = seenInHook.get("/downstream/auto-observed-1");
        String traceId = hook.get(0);
        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, traceId, 4);
        FinishedSpan section = only(spans, span -> "observed.section".equals(span.getName()));
        FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        assertThat(client.getParentId()).isEqualTo(section.getSpanId());
        assertThat(hook).containsExactly(traceId, section.getSpanId(), "no observation");
        assertThat(mdcInConnect.get()).containsExactly(traceId, section.getSpanId());
    }

    @Test
    void theWebClientsObservationStillRecordsItsTimerWithTheResponsesStatus() throws Exception {
        double before = clientRequests("200");
        HttpResponse<String> response = TraceAssertions.get(port, "/after-call/auto-timer-1");
        assertThat(response.statusCode()).isEqualTo(200);
        Waits.await("the client timer").until(() -> clientRequests("200") == before + 1);
    }

    private double clientRequests(String status) {
        Timer timer = meters.find("http.client.requests")
            .tag("uri", "/downstream/{marker}")
            .tag("status", status)
            .tag("outcome", "SUCCESS")
            .timer();
        return timer == null ? 0 : timer.count();
    }

    static class ConnectHook {

        /** An application's hooks on Boot's HttpClient: they run inside Reactor Netty's connect. */
        @Bean
        ClientHttpConnectorBuilderCustomizer<ReactorClientHttpConnectorBuilder> recordWhatTheHookSees() {
            return builder -> builder.withHttpClientCustomizer(client -> client
                .mapConnect(connect -> connect.doOnNext(connection -> mdcInConnect
                    .set(Arrays.asList(MDC.get("traceId"), MDC.get("spanId")))))
                .doOnRequest((request, connection) -> {
                    ContextView context = request.currentContextView();
                    TraceContext trace = ReactorTracing.traceContext(context);
                    String observation = context.hasKey(ObservationThreadLocalAccessor.KEY) ? "observation"
                            : "no observation";
                    seenInHook.put(request.uri(), trace == null ? List.of(observation)
                            : List.of(trace.traceId(), trace.spanId(), observation));
                }));
        }

    }

}
