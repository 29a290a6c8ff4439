package dev.tracing.instrument.webflux;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.tracing.context.ReactorTracing;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.ReactorPropagationState;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.MDC;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.http.client.autoconfigure.reactive.ClientHttpConnectorBuilderCustomizer;
import org.springframework.boot.http.client.reactive.ReactorClientHttpConnectorBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.WebClient;

import static dev.tracing.testing.TraceAssertions.only;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A WebFlux request calling downstream through Boot's WebClient while Reactor restores the trace
 * only where asked ({@code trace.reactor.context-propagation=limited}): Reactor Netty connects
 * without Spring's Observation entry but with the trace entry, and the request body, the
 * application's code inside the connect, sees the trace.
 */
@SpringBootTest(classes = WebFluxTracingApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "spring.application.name=webflux-limited",
                "trace.reactor.context-propagation=limited", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0", "trace.web.server.skip-pattern=/skipped/.*" })
@Import({ LimitedPropagationWebFluxTests.ConnectContexts.class, LimitedPropagationWebFluxTests.Streaming.class,
        LimitedPropagationWebFluxTests.Skipped.class })
@ExtendWith(ReactorPropagationState.RestoredAfterAll.class)
class LimitedPropagationWebFluxTests {

    /** The Reactor Context each downstream request was connected with, by its path. */
    static final Map<String, ContextView> connectedWith = new ConcurrentHashMap<>();

    /** What the code in a request body saw, by marker and place. */
    static final Map<String, String> seenInBody = new ConcurrentHashMap<>();

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    /**
     * Reactor's hook and snapshot factory are global, and contexts cached by other test classes rely
     * on them: automatic propagation off for this class, and both put back afterwards (by the extension).
     */
    @BeforeAll
    static void automaticPropagationOff() {
        Hooks.disableAutomaticContextPropagation();
    }

    @Test
    void theCallIsTheRequestsChildAndReactorNettyConnectsWithTheTraceButWithoutTheObservation() throws Exception {
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
        assertThat(ReactorTracing.traceContext(connect).spanId()).isEqualTo(server.getSpanId());
        assertThat(connect.hasKey(ObservationThreadLocalAccessor.KEY)).isFalse();
    }

    @Test
    void aControllerMethodThatRunsAsTheRequestIsSubscribedToLogsWithTheTrace() throws Exception {
        HttpResponse<String> response = TraceAssertions.get(port, "/mdc-in-body");
        assertThat(response.statusCode()).isEqualTo(200);
        String traceId = response.body();
        assertThat(traceId).isNotEqualTo("null");
        assertThat(TraceAssertions.awaitTrace(store, traceId, 1)).singleElement()
            .satisfies(span -> assertThat(span.getName()).isEqualTo("GET /mdc-in-body"));
    }

    @Test
    void aControllerMethodOfASkippedRequestRunsInItsUnsampledContextAndRecordsNothing() throws Exception {
        HttpResponse<String> response = TraceAssertions.get(port, "/skipped/at-subscription");
        assertThat(response.statusCode()).isEqualTo(200);
        // the trace current as the method ran, whether it was sampled, and the method's own span's trace
        String[] seen = response.body().split(" ");
        assertThat(seen).hasSize(4);
        assertThat(seen[0]).isNotEqualTo("none").isEqualTo(seen[3]);
        assertThat(seen[1]).isEqualTo("false");
        // the MDC has the trace too, and the span is not recorded
        assertThat(seen[2]).isEqualTo(seen[0]);
        assertThat(store.recentTraces(1000)).noneMatch(trace -> trace.stream()
            .anyMatch(span -> "inside a skipped request".equals(span.getName()) || seen[0].equals(span.getTraceId())));
    }

    @Test
    void aStreamedRequestBodyStillSeesTheTraceThroughAFilterThatRebuildsTheRequest() throws Exception {
        HttpResponse<String> response = TraceAssertions.get(port, "/stream/limited-2");
        assertThat(response.statusCode()).isEqualTo(200);
        String traceId = response.body();
        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, traceId, 3);
        FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        only(spans, span -> span.getKind() == Span.Kind.SERVER && "POST /upload/{marker}".equals(span.getName()));
        assertThat(seenInBody).containsEntry("limited-2 handle", traceId)
            .containsEntry("limited-2 context", traceId)
            .containsEntry("limited-2 uploaded", "a,b,c");
        assertThat(client.getTags()).containsEntry("http.request.method", "POST");
        assertThat(connectedWith.get("/upload/limited-2").hasKey(ObservationThreadLocalAccessor.KEY)).isFalse();
    }

    static class ConnectContexts {

        /** An application's hook on Boot's HttpClient: it runs inside Reactor Netty's connect. */
        @Bean
        ClientHttpConnectorBuilderCustomizer<ReactorClientHttpConnectorBuilder> recordConnectContexts() {
            return builder -> builder.withHttpClientCustomizer(client -> client.doOnRequest(
                    (request, connection) -> connectedWith.put(request.uri(), request.currentContextView())));
        }

    }

    /** A request the skip pattern leaves out, whose controller method starts a span of its own. */
    @RestController
    static class Skipped {

        private final Tracer tracer;

        Skipped(Tracer tracer) {
            this.tracer = tracer;
        }

        @GetMapping("/skipped/at-subscription")
        Mono<String> atSubscription() {
            TraceContext current = tracer.currentTraceContext().context();
            Span own = tracer.nextSpan().name("inside a skipped request").start();
            own.end();
            return Mono.just((current == null ? "none none" : current.traceId() + " " + current.sampled()) + " "
                    + MDC.get("traceId") + " " + own.context().traceId());
        }

    }

    /** A streamed upload through a WebClient with a filter of the application's that rebuilds the request. */
    @RestController
    static class Streaming {

        private final WebClient.Builder webClientBuilder;

        private final ApplicationContext context;

        private final Tracer tracer;

        Streaming(WebClient.Builder webClientBuilder, ApplicationContext context, Tracer tracer) {
            this.webClientBuilder = webClientBuilder;
            this.context = context;
            this.tracer = tracer;
        }

        @GetMapping("/stream/{marker}")
        Mono<String> stream(@PathVariable String marker) {
            int port = ((WebServerApplicationContext) context).getWebServer().getPort();
            Flux<String> body = Flux.just("a", "b").<String>handle((part, sink) -> {
                Span current = tracer.currentSpan();
                seenInBody.put(marker + " handle", current == null ? "none" : current.context().traceId());
                sink.next(part);
            }).concatWith(Mono.deferContextual(view -> {
                TraceContext trace = ReactorTracing.traceContext(view);
                seenInBody.put(marker + " context", trace == null ? "none" : trace.traceId());
                return Mono.just("c");
            })).map(part -> part.equals("c") ? part : part + ",");
            return webClientBuilder.clone()
                .baseUrl("http://127.0.0.1:" + port)
                .filter((request, next) -> next.exchange(ClientRequest.from(request).header("x-app", "1").build()))
                .build()
                .post()
                .uri("/upload/{marker}", marker)
                .body(body, String.class)
                .retrieve()
                .bodyToMono(String.class)
                .flatMap(uploaded -> Mono.deferContextual(view -> Mono.just(ReactorTracing.traceContext(view).traceId())));
        }

        @PostMapping("/upload/{marker}")
        Mono<String> upload(@PathVariable String marker, @RequestBody Mono<String> body) {
            return body.doOnNext(text -> seenInBody.put(marker + " uploaded", text)).thenReturn("ok");
        }

    }

}
