package dev.tracing.instrument.webflux;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.LogLines;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.server.ResponseStatusException;

import static dev.tracing.testing.TraceAssertions.assertError;
import static dev.tracing.testing.TraceAssertions.only;
import static dev.tracing.testing.Waits.await;
import static dev.tracing.testing.Waits.throughout;
import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(classes = WebFluxTracingApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "spring.application.name=webflux-test",
                "trace.sampling.rate-limit=0", "trace.export.memory.max-traces-per-second=0",
                "trace.web.server.response-header=traceresponse",
                "trace.web.server.record-headers=X-Tenant,Authorization",
                "trace.propagation.consume=w3c,b3,b3-multi",
                "logging.level.org.springframework.http.server.reactive.ReactorHttpHandlerAdapter=trace",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
@ExtendWith(OutputCaptureExtension.class)
class TraceWebFluxTests {

    static final String CALLER_TRACE_ID = "0af7651916cd43dd8448eb211c80319c";

    static final String CALLER_SPAN_ID = "b7ad6b7169203331";

    static final JsonMapper json = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    HttpResponse<String> get(String path, String... headers) throws Exception {
        return TraceAssertions.get(port, path, headers);
    }

    List<FinishedSpan> awaitTrace(String traceId, int count) throws InterruptedException {
        return TraceAssertions.awaitTrace(store, traceId, count);
    }

    static Predicate<FinishedSpan> server(String name) {
        return span -> span.getKind() == Span.Kind.SERVER && name.equals(span.getName());
    }

    void assertChainContinues(String traceId, String parentSpanId, String marker, HttpResponse<String> response)
            throws Exception {
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = json.readTree(response.body());
        assertThat(body.get("traceId").asString()).isEqualTo(traceId);
        assertThat(body.get("current").asString()).isEqualTo(traceId);
        FinishedSpan client = assertOneClientSpanBetween(traceId, parentSpanId, marker, "GET /chain/{marker}");
        assertThat(client.getTags()).containsEntry("http.request.method", "GET")
            .containsEntry("url.full", "http://127.0.0.1:" + port + "/downstream/" + marker)
            .containsEntry("server.address", "127.0.0.1")
            .containsEntry("server.port", String.valueOf(port))
            .containsEntry("http.response.status_code", "200");
        // WebClient was given a URI template: the CLIENT span is named by its path, never the raw path
        assertThat(client.getName()).isEqualTo("GET /downstream/{marker}");
        assertThat(client.getTags()).containsEntry("url.template", "/downstream/{marker}");
    }

    /**
     * The trace is the server span (the caller's child), exactly one CLIENT span as its child, and
     * the downstream's SERVER span as that one's child, whose traceparent named the CLIENT span.
     * Returns the CLIENT span.
     */
    FinishedSpan assertOneClientSpanBetween(String traceId, String parentSpanId, String marker, String serverName)
            throws Exception {
        return assertOneClientSpanBetween(traceId, parentSpanId, marker, serverName, traceId);
    }

    /** As above, where the downstream's traceparent carries {@code traceparentTraceId}. */
    FinishedSpan assertOneClientSpanBetween(String traceId, String parentSpanId, String marker, String serverName,
            String traceparentTraceId) throws Exception {
        List<FinishedSpan> spans = awaitTrace(traceId, 3);
        FinishedSpan server = only(spans, server(serverName));
        FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        FinishedSpan downstream = only(spans, server("GET /downstream/{marker}"));
        assertThat(server.getParentId()).isEqualTo(parentSpanId);
        assertThat(client.getParentId()).isEqualTo(server.getSpanId());
        assertThat(downstream.getParentId()).isEqualTo(client.getSpanId());
        assertThat(WebFluxTracingApp.downstreamTraceparents.get(marker))
            .containsExactly("00-" + traceparentTraceId + "-" + client.getSpanId() + "-01");
        return client;
    }

    @Test
    void theExchangeAttributeHoldsTheRequestsServerSpan() throws Exception {
        WebFluxTracingApp.chainFilters = List.of(); // no earlier request's chain
        HttpResponse<String> response = get("/span-attribute/3");
        assertThat(response.statusCode()).isEqualTo(200);
        FinishedSpan span = awaitTrace(traceId(response), 1).get(0);
        assertThat(span.getName()).isEqualTo("GET /span-attribute/{id}");
        assertThat(response.body()).isEqualTo(span.getSpanId());
        // the HttpHandler decorator set it and named the span through the request: our filter left Spring's chain
        assertThat(WebFluxTracingApp.chainFilters).isNotEmpty().doesNotContain("TraceWebFilter");
    }

    @Test
    void aFailureInTheFirstFilterIsRecorded() throws Exception {
        HttpResponse<String> failed = get("/early-failure");
        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(awaitTrace(traceId(failed), 1)).singleElement()
            .satisfies(span -> assertThat(span.getError()).hasMessage("failed before the handler"));
    }

    @Test
    void methodsOutsideTheKnownSetAreRecordedAsOtherUnderOneSpanName() throws Exception {
        // a client choosing the method must not choose span names: 3 methods, one name
        for (String method : List.of("M12345", "PURGE", "get")) {
            HttpResponse<String> response = TraceAssertions.request(port, method, "/users/7");
            FinishedSpan span = awaitTrace(traceId(response), 1).get(0);
            assertThat(span.getName()).isEqualTo("HTTP");
            assertThat(span.getTags()).containsEntry("http.request.method", "_OTHER")
                .containsEntry("http.request.method_original", method);
        }
    }

    @Test
    void aWebClientBuiltByHandWithAnObservationRegistryIsTracedByItsObservation() throws Exception {
        String marker = UUID.randomUUID().toString();
        String traceId = "5bf92f3577b34da6a3ce929d0e0e4736";
        HttpResponse<String> response = get("/hand-built/" + marker, "traceparent",
                "00-" + traceId + "-" + CALLER_SPAN_ID + "-01");
        assertThat(response.statusCode()).isEqualTo(200);
        List<FinishedSpan> spans = awaitTrace(traceId, 3);
        FinishedSpan server = only(spans, server("GET /hand-built/{marker}"));
        // no filter of ours on this client: Spring's Observation makes the one CLIENT span and sends the headers
        FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        FinishedSpan downstream = only(spans, server("GET /downstream/{marker}"));
        assertThat(client.getParentId()).isEqualTo(server.getSpanId());
        assertThat(downstream.getParentId()).isEqualTo(client.getSpanId());
        assertThat(WebFluxTracingApp.downstreamTraceparents.get(marker))
            .containsExactly("00-" + traceId + "-" + client.getSpanId() + "-01");
        // named and tagged by our HTTP policy, as a client from Boot's builder is
        assertThat(client.getName()).isEqualTo("GET /downstream/{marker}");
        assertThat(client.getTags()).containsEntry("http.response.status_code", "200")
            .doesNotContainKeys("http.url", "uri");
    }

    @Test
    void w3cCallerIsContinuedThroughWebClientToTheDownstream(CapturedOutput output) throws Exception {
        String marker = UUID.randomUUID().toString();
        HttpResponse<String> response = get("/chain/" + marker, "traceparent",
                "00-" + CALLER_TRACE_ID + "-" + CALLER_SPAN_ID + "-01");
        assertChainContinues(CALLER_TRACE_ID, CALLER_SPAN_ID, marker, response);
        // a log line inside flatMap after publishOn carries the trace and span ids
        FinishedSpan chain = only(store.trace(CALLER_TRACE_ID), server("GET /chain/{marker}"));
        assertThat(output.getOut().lines().filter(line -> line.contains("chain " + marker + " got ok")).findFirst())
            .hasValueSatisfying(line -> assertThat(line).contains(CALLER_TRACE_ID).contains(chain.getSpanId()));
    }

    @Test
    void insideAChainObservedWithReactorsTapTheObservationsSpanIsCurrent(CapturedOutput output) throws Exception {
        String traceId = "7af7651916cd43dd8448eb211c80319c";
        String marker = UUID.randomUUID().toString();
        HttpResponse<String> response = get("/observed/" + marker, "traceparent",
                "00-" + traceId + "-" + CALLER_SPAN_ID + "-01");
        assertThat(response.statusCode()).isEqualTo(200);
        List<FinishedSpan> spans = awaitTrace(traceId, 4);
        FinishedSpan request = only(spans, server("GET /observed/{marker}"));
        FinishedSpan observed = only(spans, span -> "observed.section".equals(span.getName()));
        FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        assertThat(observed.getParentId()).isEqualTo(request.getSpanId());
        // the WebClient call made inside the observed part is the Observation's child, not the request's
        assertThat(client.getParentId()).isEqualTo(observed.getSpanId());
        assertThat(WebFluxTracingApp.downstreamTraceparents.get(marker))
            .containsExactly("00-" + traceId + "-" + client.getSpanId() + "-01");
        assertThat(output.getOut().lines().filter(line -> line.contains("observed section " + marker)).findFirst())
            .hasValueSatisfying(line -> assertThat(line).contains(traceId + "-" + observed.getSpanId()));
    }

    @Test
    void restTemplateOnBoundedElasticIsAChildOfTheRequest() throws Exception {
        String traceId = "6af7651916cd43dd8448eb211c80319c";
        String marker = UUID.randomUUID().toString();
        HttpResponse<String> response = get("/blocking/" + marker, "traceparent",
                "00-" + traceId + "-" + CALLER_SPAN_ID + "-01");
        assertThat(response.statusCode()).isEqualTo(200);
        List<FinishedSpan> spans = awaitTrace(traceId, 3);
        FinishedSpan request = only(spans, server("GET /blocking/{marker}"));
        FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        FinishedSpan downstream = only(spans, server("GET /downstream/{marker}"));
        assertThat(request.getParentId()).isEqualTo(CALLER_SPAN_ID);
        assertThat(client.getParentId()).isEqualTo(request.getSpanId());
        assertThat(downstream.getParentId()).isEqualTo(client.getSpanId());
        assertThat(WebFluxTracingApp.downstreamTraceparents.get(marker))
            .containsExactly("00-" + traceId + "-" + client.getSpanId() + "-01");
    }

    @Test
    void b3SingleCallerIsContinued() throws Exception {
        String traceId = "1af7651916cd43dd8448eb211c80319c";
        String marker = UUID.randomUUID().toString();
        assertChainContinues(traceId, CALLER_SPAN_ID, marker,
                get("/chain/" + marker, "b3", traceId + "-" + CALLER_SPAN_ID + "-1"));
    }

    @Test
    void b3MultiCallerIsContinued() throws Exception {
        String traceId = "2af7651916cd43dd8448eb211c80319c";
        String marker = UUID.randomUUID().toString();
        assertChainContinues(traceId, CALLER_SPAN_ID, marker, get("/chain/" + marker, "X-B3-TraceId", traceId,
                "X-B3-SpanId", CALLER_SPAN_ID, "X-B3-Sampled", "1"));
    }

    /**
     * A Sleuth or old Brave caller sends a 64-bit trace id and logs it as 16 characters: our log
     * lines and summaries carry the same 16, so a search for the id finds them; the downstream's
     * traceparent (which needs 32) and the traceresponse get it padded.
     */
    @Test
    void a64BitB3TraceIdIsLoggedAndListedAsItArrived() throws Exception {
        String traceId = "463ac35c9f6413ad";
        String marker = UUID.randomUUID().toString();
        try (LogLines lines = LogLines.capture(WebFluxTracingApp.Endpoints.class.getName())) {
            HttpResponse<String> response = get("/chain/" + marker, "X-B3-TraceId", traceId, "X-B3-SpanId",
                    CALLER_SPAN_ID, "X-B3-Sampled", "1");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(json.readTree(response.body()).get("traceId").asString()).isEqualTo(traceId);
            assertThat(response.headers().firstValue("traceresponse").orElseThrow())
                .startsWith("00-0000000000000000" + traceId + "-");
            FinishedSpan client = assertOneClientSpanBetween(traceId, CALLER_SPAN_ID, marker, "GET /chain/{marker}",
                    "0000000000000000" + traceId);
            assertThat(client.getTraceId()).isEqualTo(traceId);
            assertThat(lines.lines()).filteredOn(line -> line.message().equals("chain " + marker + " got ok"))
                .singleElement()
                .satisfies(line -> assertThat(line.traceId()).isEqualTo(traceId));
            assertThat(store.recentSummaries(1000, summary -> traceId.equals(summary.traceId()))).hasSize(1);
        }
    }

    @Test
    void malformedTraceparentStartsANewTraceAndAnswers200() throws Exception {
        String marker = UUID.randomUUID().toString();
        HttpResponse<String> response = get("/chain/" + marker, "traceparent",
                "00-" + CALLER_TRACE_ID.toUpperCase() + "-" + CALLER_SPAN_ID + "-01");
        assertThat(response.statusCode()).isEqualTo(200);
        String traceId = json.readTree(response.body()).get("traceId").asString();
        assertThat(traceId).isNotEqualTo(CALLER_TRACE_ID).matches("[0-9a-f]{32}");
        assertChainContinues(traceId, null, marker, response);
    }

    @Test
    void serverSpanIsNamedAfterTheRouteAndTagged() throws Exception {
        HttpResponse<String> response = get("/users/42?token=secret", "User-Agent", "test-agent", "X-Tenant",
                "acme", "Authorization", "Bearer secret");
        assertThat(response.statusCode()).isEqualTo(200);
        String traceresponse = response.headers().firstValue("traceresponse").orElseThrow();
        assertThat(traceresponse).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
        String traceId = traceresponse.substring(3, 35);
        FinishedSpan span = awaitTrace(traceId, 1).get(0);
        assertThat(span.getName()).isEqualTo("GET /users/{id}");
        assertThat(span.getSpanId()).isEqualTo(traceresponse.substring(36, 52));
        assertThat(span.getTags()).containsEntry("http.request.method", "GET")
            .containsEntry("http.route", "/users/{id}")
            .containsEntry("url.path", "/users/42")
            .containsEntry("url.scheme", "http")
            .containsEntry("http.response.status_code", "200")
            .containsEntry("server.address", "127.0.0.1")
            .containsEntry("client.address", "127.0.0.1")
            .containsEntry("user_agent.original", "test-agent")
            .containsEntry("http.request.header.x-tenant", "acme")
            .doesNotContainKey("http.request.header.authorization")
            .doesNotContainKey("error")
            .doesNotContainKey("cancelled");
        assertThat(span.getTags().values()).noneMatch(value -> value.contains("secret"));
    }

    @Test
    void theServerFinishesTheExchangeWithTheSpanCurrent() throws Exception {
        // Spring's adapter logs "Handling completed" (at trace level, turned on above: its logger reads the level
        // once) on the completion the span's operator passes on, after the span ended; with automatic propagation
        // (the default here) Reactor would take the span away around it
        try (LogLines lines = LogLines.capture(ReactorHttpHandlerAdapter.class.getName())) {
            HttpResponse<String> response = get("/users/42");
            String traceId = traceId(response);
            FinishedSpan span = awaitTrace(traceId, 1).get(0);

            await().until(() -> lines.lines().stream().anyMatch(line -> traceId.equals(line.traceId())));
            assertThat(lines.lines()).filteredOn(line -> traceId.equals(line.traceId()))
                .singleElement()
                .satisfies(line -> {
                    assertThat(line.message()).endsWith("Handling completed");
                    assertThat(line.spanId()).isEqualTo(span.getSpanId());
                });
        }
    }

    @Test
    void failuresMarkTheSpanAsAnError(CapturedOutput output) throws Exception {
        HttpResponse<String> failed = get("/fail");
        assertThat(failed.statusCode()).isEqualTo(500);
        FinishedSpan span = awaitTrace(traceId(failed), 1).get(0);
        // Spring's error handler logs the failure inside the request's span
        assertThat(output.getOut().lines().filter(line -> line.contains("500 Server Error for HTTP GET \"/fail\"")))
            .singleElement()
            .asString()
            .contains(traceId(failed))
            .contains(span.getSpanId());
        assertThat(span.getName()).isEqualTo("GET /fail");
        assertThat(span.getError()).hasMessage("handler failed");
        assertThat(span.getTags()).containsEntry("http.response.status_code", "500");

        HttpResponse<String> missing = get("/missing");
        assertThat(missing.statusCode()).isEqualTo(404);
        FinishedSpan notFound = awaitTrace(traceId(missing), 1).get(0);
        assertThat(notFound.getTags()).containsEntry("http.response.status_code", "404")
            .containsEntry("exception.type", "org.springframework.web.server.ResponseStatusException")
            .containsEntry("exception.message", "404 NOT_FOUND \"nothing here\"")
            .doesNotContainKey("error");
        assertThat(notFound.getError()).isNull();

        // the same for an exception Boot's error handling answers 404 from its @ResponseStatus
        HttpResponse<String> annotated = get("/annotated-missing");
        assertThat(annotated.statusCode()).isEqualTo(404);
        FinishedSpan annotatedNotFound = awaitTrace(traceId(annotated), 1).get(0);
        assertThat(annotatedNotFound.getTags()).containsEntry("http.response.status_code", "404")
            .containsEntry("exception.type", WebFluxTracingApp.OrderMissing.class.getName())
            .containsEntry("exception.message", "no order 42")
            .doesNotContainKey("error");
        assertThat(annotatedNotFound.getError()).isNull();

        // a 404 whose body then fails is a failure of ours: the status went out before it
        assertThat(spanOfBrokenBody("/missing-then-failing").getError()).hasMessage("body failed");
        // a server error a stream fails with after its 200 went out is an error too
        assertError(spanOfBrokenBody("/stream-then-unavailable"), ResponseStatusException.class);
    }

    /** The span of a request to {@code path}, whose body fails part way (the connection is closed then). */
    private FinishedSpan spanOfBrokenBody(String path) throws Exception {
        try {
            get(path);
        }
        catch (IOException ex) {
            // the connection is closed part way
        }
        return await().until(() -> store.recentTraces(50).stream()
            .flatMap(List::stream)
            .filter(recorded -> path.equals(recorded.getTags().get("url.path")))
            .findFirst(), Optional::isPresent).get();
    }

    @Test
    void theErrorTheRequestFailedWithIsRecordedWhenAnExceptionHandlerFailsToo() throws Exception {
        HttpResponse<String> failed = get("/answer-fails");
        assertThat(failed.statusCode()).isEqualTo(500);
        FinishedSpan span = awaitTrace(traceId(failed), 1).get(0);
        assertError(span, WebFluxTracingApp.AnswerFails.class).hasMessage("the handler failed");
        assertThat(span.getTags()).containsEntry("http.response.status_code", "500");
    }

    @Test
    void aClientErrorAnExceptionHandlerFailsToAnswerIsAServerErrorWithThatFailure() throws Exception {
        HttpResponse<String> failed = get("/gone");
        assertThat(failed.statusCode()).isEqualTo(500);
        FinishedSpan span = awaitTrace(traceId(failed), 1).get(0);
        assertError(span, IllegalStateException.class)
            .hasMessage("the exception handler failed too");
        assertThat(span.getTags()).containsEntry("http.response.status_code", "500");
    }

    @Test
    void anExceptionAnExceptionHandlerGaveToSpringsObservationIsRecorded() throws Exception {
        HttpResponse<String> failed = get("/handled/failed");
        assertThat(failed.statusCode()).isEqualTo(500);
        FinishedSpan failure = awaitTrace(traceId(failed), 1).get(0);
        assertError(failure, WebFluxTracingApp.OrderFailed.class).hasMessage("kaboom");
        assertThat(failure.getTags()).containsEntry("http.response.status_code", "500");

        HttpResponse<String> rejected = get("/handled/rejected");
        assertThat(rejected.statusCode()).isEqualTo(400);
        FinishedSpan rejection = awaitTrace(traceId(rejected), 1).get(0);
        // a 4xx answered on purpose: recorded, not an error
        assertThat(rejection.getError()).isNull();
        assertThat(rejection.getTags())
            .containsEntry("exception.type", WebFluxTracingApp.OrderRejected.class.getName())
            .containsEntry("exception.message", "bad order")
            .doesNotContainKey("error");
    }

    @Test
    void unmatchedRequestsAreNamedByMethodOnly() throws Exception {
        HttpResponse<String> response = get("/no/such/path/123");
        assertThat(response.statusCode()).isEqualTo(404);
        FinishedSpan span = awaitTrace(traceId(response), 1).get(0);
        assertThat(span.getName()).isEqualTo("GET");
        assertThat(span.getTags()).doesNotContainKey("http.route");
    }

    @Test
    void actuatorAndStaticResourcesAreSkipped() throws Exception {
        HttpResponse<String> health = get("/actuator/health");
        assertThat(health.headers().firstValue("traceresponse")).isEmpty();
        HttpResponse<String> favicon = get("/favicon.ico");
        assertThat(favicon.headers().firstValue("traceresponse")).isEmpty();
    }

    @Test
    void aClientThatGoesAwayEndsTheSpanOnceMarkedCancelled() throws Exception {
        String traceId = "3af7651916cd43dd8448eb211c80319c";
        try (Socket socket = new Socket("127.0.0.1", port)) {
            sendTracedGet(socket, "/slow", traceId);
            // go away only once the handler runs, so the span exists to be cancelled
            await().until(() -> WebFluxTracingApp.slowStarted.contains(traceId));
        }
        FinishedSpan span = awaitTrace(traceId, 1).get(0);
        assertThat(span.getName()).isEqualTo("GET /slow");
        assertThat(span.getTags()).containsEntry("cancelled", "true");
        // the handler's cancel handler ran with the span current, before the span ended
        assertThat(span.getTags()).containsEntry("slow.outcome", "given up");
        // nothing was answered: no status (the response's default, 200, was never sent)
        assertThat(span.getTags()).doesNotContainKey("http.response.status_code");
        // the span ends once, whatever the server does later
        throughout(Duration.ofMillis(200))
            .until(() -> store.trace(traceId).size() == 1);
    }

    @Test
    void aClientThatStopsReadingAnEventStreamCancelsItsSpan() throws Exception {
        String traceId = "6cf7651916cd43dd8448eb211c80319c";
        try (Socket socket = new Socket("127.0.0.1", port)) {
            sendTracedGet(socket, "/ticks", traceId);
            // read until the first event, then reset the connection
            BufferedReader in = new BufferedReader(
                    new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            for (String line = in.readLine(); line != null && !line.startsWith("data:"); line = in.readLine()) {
                // the status line and headers
            }
            socket.setSoLinger(true, 0);
        }
        FinishedSpan span = awaitTrace(traceId, 1).get(0);
        assertThat(span.getName()).isEqualTo("GET /ticks");
        // the events went out with a 200; the stream did not end, the client left
        assertThat(span.getTags()).containsEntry("cancelled", "true").containsEntry("http.response.status_code", "200");
        assertThat(span.getError()).isNull();
    }

    @Test
    void anAnswerOnAConnectionKeptAliveIsNotCancelled() throws Exception {
        String traceId = "7df7651916cd43dd8448eb211c80319c";
        try (Socket socket = new Socket("127.0.0.1", port)) {
            sendTracedGet(socket, "/users/7", traceId);
            BufferedReader in = new BufferedReader(
                    new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
            // the connection stays open while the span ends
            FinishedSpan span = awaitTrace(traceId, 1).get(0);
            assertThat(span.getName()).isEqualTo("GET /users/{id}");
            assertThat(span.getTags()).containsEntry("http.response.status_code", "200")
                .doesNotContainKey("cancelled");
        }
    }

    /** Writes a GET of {@code path} continuing {@code traceId} on a raw connection, to leave it part way. */
    private static void sendTracedGet(Socket socket, String path, String traceId) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\ntraceparent: 00-" + traceId + "-" + CALLER_SPAN_ID
                + "-01\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Test
    void eachRequestRecordsItsOwnClientsAddress() throws Exception {
        // .34 takes .2's place among the addresses formatted lately
        for (String client : List.of("127.0.0.2", "127.0.0.1", "127.0.0.3", "127.0.0.3", "127.0.0.34", "127.0.0.2")) {
            String traceId = requestFrom(client);
            assertThat(awaitTrace(traceId, 1).get(0).getTags()).containsEntry("client.address", client);
        }
    }

    /** Sends a request from the loopback address {@code client}; returns its trace id. */
    private String requestFrom(String client) throws Exception {
        try (Socket socket = new Socket()) {
            try {
                socket.bind(new InetSocketAddress(client, 0));
            }
            catch (BindException ex) {
                // Linux answers on all of 127.0.0.0/8; other systems may have 127.0.0.1 only
                Assumptions.abort("no loopback address " + client + " here");
            }
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.getOutputStream()
                .write("GET /users/7 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            Matcher traceresponse = Pattern.compile("(?i)traceresponse: 00-([0-9a-f]{32})-").matcher(response);
            assertThat(traceresponse.find()).as(response).isTrue();
            return traceresponse.group(1);
        }
    }

    static String traceId(HttpResponse<String> response) {
        Optional<String> header = response.headers().firstValue("traceresponse");
        assertThat(header).isPresent();
        return header.get().substring(3, 35);
    }

}
