package dev.tracing.instrument.web;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.LogLines;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.restclient.RestTemplateBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.ClientHttpRequest;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.servlet.ModelAndView;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.View;

import static dev.tracing.testing.TraceAssertions.assertError;
import static dev.tracing.testing.TraceAssertions.only;
import static dev.tracing.testing.Waits.await;
import static dev.tracing.testing.Waits.throughout;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Spring MVC on Tomcat: the servlet filter and the RestClient/RestTemplate interceptor. */
@SpringBootTest(classes = TraceWebMvcTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=servlet", "spring.application.name=mvc-test",
                "trace.sampling.rate-limit=0", "trace.export.memory.max-traces-per-second=0",
                "trace.web.server.response-header=traceresponse",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
@ExtendWith(OutputCaptureExtension.class)
class TraceWebMvcTests {

    static final String CALLER_SPAN_ID = "b7ad6b7169203331";

    static final Map<String, List<String>> downstreamTraceparents = new ConcurrentHashMap<>();

    /** The b3 and uber-trace-id headers each downstream request had, by its marker. */
    static final Map<String, List<String>> downstreamOtherFormats = new ConcurrentHashMap<>();

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Autowired
    RestTemplateBuilder restTemplateBuilder;

    HttpResponse<String> get(String path, String... headers) throws Exception {
        return TraceAssertions.get(port, path, headers);
    }

    List<FinishedSpan> awaitTrace(String traceId, int count) throws InterruptedException {
        return TraceAssertions.awaitTrace(store, traceId, count);
    }

    static String traceId(HttpResponse<String> response) {
        return response.headers().firstValue("traceresponse").orElseThrow().substring(3, 35);
    }

    void assertCallChain(String traceId, String marker, String serverName) throws Exception {
        FinishedSpan client = assertOneClientSpanBetween(traceId, marker, serverName);
        assertThat(client.getTags()).containsEntry("http.response.status_code", "200")
            .containsEntry("url.full", "http://127.0.0.1:" + port + "/mvc/downstream/" + marker);
    }

    /**
     * The trace is the server span, exactly one CLIENT span as its child, and the downstream's
     * SERVER span as that one's child, whose traceparent named the CLIENT span. Returns the CLIENT span.
     */
    FinishedSpan assertOneClientSpanBetween(String traceId, String marker, String serverName) throws Exception {
        List<FinishedSpan> spans = awaitTrace(traceId, 3);
        FinishedSpan server = only(spans, s -> serverName.equals(s.getName()));
        FinishedSpan client = only(spans, s -> s.getKind() == Span.Kind.CLIENT);
        FinishedSpan downstream = only(spans,
                s -> s.getKind() == Span.Kind.SERVER && "GET /mvc/downstream/{marker}".equals(s.getName()));
        assertThat(server.getKind()).isEqualTo(Span.Kind.SERVER);
        assertThat(server.getTags()).containsEntry("client.address", "127.0.0.1");
        assertThat(client.getParentId()).isEqualTo(server.getSpanId());
        assertThat(downstream.getParentId()).isEqualTo(client.getSpanId());
        assertThat(downstreamTraceparents.get(marker)).containsExactly("00-" + traceId + "-" + client.getSpanId() + "-01");
        return client;
    }

    @Test
    void methodsOutsideTheKnownSetAreRecordedAsOtherUnderOneSpanName() throws Exception {
        // a client choosing the method must not choose span names: 3 methods, one name
        for (String method : List.of("M12345", "PURGE", "get")) {
            HttpResponse<String> response = TraceAssertions.request(port, method, "/mvc/current");
            FinishedSpan span = awaitTrace(traceId(response), 1).get(0);
            assertThat(span.getName()).isEqualTo("HTTP");
            assertThat(span.getTags()).containsEntry("http.request.method", "_OTHER")
                .containsEntry("http.request.method_original", method);
        }
    }

    @Test
    void incomingTraceIsContinuedAndRestClientCallsAreChildren(CapturedOutput output) throws Exception {
        String traceId = "4af7651916cd43dd8448eb211c80319c";
        String marker = UUID.randomUUID().toString();
        HttpResponse<String> response = get("/mvc/rest-client/" + marker, "traceparent",
                "00-" + traceId + "-" + CALLER_SPAN_ID + "-01");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(traceId(response)).isEqualTo(traceId);
        assertCallChain(traceId, marker, "GET /mvc/rest-client/{marker}");
        // RestClient was given a URI template: the CLIENT span is named by its path, never the raw path
        FinishedSpan client = only(store.trace(traceId), s -> s.getKind() == Span.Kind.CLIENT);
        assertThat(client.getName()).isEqualTo("GET /mvc/downstream/{marker}");
        assertThat(client.getTags()).containsEntry("url.template", "/mvc/downstream/{marker}");
        FinishedSpan server = only(store.trace(traceId), s -> "GET /mvc/rest-client/{marker}".equals(s.getName()));
        assertThat(server.getParentId()).isEqualTo(CALLER_SPAN_ID);
        assertThat(output.getOut().lines().filter(line -> line.contains("calling downstream " + marker)))
            .singleElement()
            .asString()
            .contains(traceId)
            .contains(server.getSpanId());
    }

    @ParameterizedTest
    @ValueSource(strings = { "rest-client", "rest-template" })
    void traceHeadersOfOtherFormatsAGatewayPassesOnAreNotSentBesideTheSpans(String client) throws Exception {
        String marker = UUID.randomUUID().toString();
        String callerTraceId = client.equals("rest-client") ? "80f198ee56343ba864fe8b2a57d3eff7"
                : "90f198ee56343ba864fe8b2a57d3eff7";
        HttpResponse<String> response = get("/mvc/gateway/" + client + "/" + marker, "b3",
                callerTraceId + "-e457b5a2e4d86bd1-1", "uber-trace-id", callerTraceId + ":e457b5a2e4d86bd1:0:1");
        assertThat(response.statusCode()).isEqualTo(200);
        // the caller's b3 was continued (B3 is consumed); what goes on downstream is the CLIENT span's alone
        String traceId = traceId(response);
        assertThat(traceId).isEqualTo(callerTraceId);
        FinishedSpan clientSpan = only(awaitTrace(traceId, 3), s -> s.getKind() == Span.Kind.CLIENT);
        assertThat(downstreamTraceparents.get(marker))
            .containsExactly("00-" + traceId + "-" + clientSpan.getSpanId() + "-01");
        assertThat(downstreamOtherFormats.get(marker)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = { "rest-client", "rest-template" })
    void aClientBuiltByHandWithAnObservationRegistryIsTracedByItsObservation(String client) throws Exception {
        String marker = UUID.randomUUID().toString();
        HttpResponse<String> response = get("/mvc/hand-built/" + client + "/" + marker);
        assertThat(response.statusCode()).isEqualTo(200);
        String traceId = traceId(response);
        List<FinishedSpan> spans = awaitTrace(traceId, 3);
        FinishedSpan server = only(spans, s -> "GET /mvc/hand-built/{client}/{marker}".equals(s.getName()));
        // no interceptor of ours on this client: Spring's Observation makes the one CLIENT span and sends the headers
        FinishedSpan clientSpan = only(spans, s -> s.getKind() == Span.Kind.CLIENT);
        FinishedSpan downstream = only(spans,
                s -> s.getKind() == Span.Kind.SERVER && "GET /mvc/downstream/{marker}".equals(s.getName()));
        assertThat(clientSpan.getParentId()).isEqualTo(server.getSpanId());
        // named and tagged by our HTTP policy: the URI template, not the raw path or Spring's tags
        assertThat(clientSpan.getName()).isEqualTo("GET /mvc/downstream/{marker}");
        assertThat(clientSpan.getTags()).containsEntry("http.request.method", "GET")
            .containsEntry("url.template", "/mvc/downstream/{marker}")
            .containsEntry("http.response.status_code", "200")
            .doesNotContainKeys("http.url", "uri");
        assertThat(downstream.getParentId()).isEqualTo(clientSpan.getSpanId());
        assertThat(downstreamTraceparents.get(marker))
            .containsExactly("00-" + traceId + "-" + clientSpan.getSpanId() + "-01");
    }

    @Test
    void aRestTemplateWhoseInterceptorsWereReplacedIsTracedByItsObservation() throws Exception {
        // our interceptor is gone with the application's setInterceptors: Spring's Observation makes the span
        String marker = UUID.randomUUID().toString();
        HttpResponse<String> response = get("/mvc/replaced-interceptors/" + marker);
        assertThat(response.statusCode()).isEqualTo(200);
        String traceId = traceId(response);
        FinishedSpan clientSpan = only(awaitTrace(traceId, 3), s -> s.getKind() == Span.Kind.CLIENT);
        assertThat(downstreamTraceparents.get(marker))
            .containsExactly("00-" + traceId + "-" + clientSpan.getSpanId() + "-01");
    }

    @Test
    void aClientBuiltByHandWithoutAnObservationRegistryIsNotTraced() throws Exception {
        String marker = UUID.randomUUID().toString();
        HttpResponse<String> response = get("/mvc/hand-built/plain/" + marker);
        assertThat(response.statusCode()).isEqualTo(200);
        String traceId = traceId(response);
        FinishedSpan server = only(awaitTrace(traceId, 1), s -> s.getKind() == Span.Kind.SERVER);
        assertThat(server.getName()).isEqualTo("GET /mvc/hand-built/{client}/{marker}");
        assertThat(downstreamTraceparents.get(marker)).isEmpty();
        assertThat(store.trace(traceId)).hasSize(1);
    }

    @Test
    void restTemplateCallsAreChildrenToo() throws Exception {
        String marker = UUID.randomUUID().toString();
        HttpResponse<String> response = get("/mvc/rest-template/" + marker);
        assertThat(response.statusCode()).isEqualTo(200);
        assertCallChain(traceId(response), marker, "GET /mvc/rest-template/{marker}");
        // a URL built by hand gives no template: the span is named by the method alone
        FinishedSpan client = only(store.trace(traceId(response)), s -> s.getKind() == Span.Kind.CLIENT);
        assertThat(client.getName()).isEqualTo("GET");
        assertThat(client.getTags()).doesNotContainKey("url.template");
    }

    @Test
    void aResponseWhoseStatusCannotBeReadIsStillClosedAndItsSpanRecordsWhy() throws Exception {
        // a broken server's status line: HttpURLConnection reads 42, which Spring refuses as a status code
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> answered = CompletableFuture.runAsync(() -> {
                try (Socket socket = server.accept()) {
                    InputStream in = socket.getInputStream();
                    int last = 0;
                    for (int b; (b = in.read()) != -1 && !(last == '\n' && b == '\r');) {
                        last = b;
                    }
                    socket.getOutputStream()
                        .write("HTTP/1.1 42 Odd\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    socket.getOutputStream().flush();
                    in.read();
                }
                catch (IOException ex) {
                    throw new IllegalStateException(ex);
                }
            });
            List<ClientHttpResponse> closed = new ArrayList<>();
            RestTemplate client = restTemplateBuilder
                .requestFactory(() -> new CloseRecordingFactory(new SimpleClientHttpRequestFactory(), closed))
                .build();
            String url = "http://127.0.0.1:" + server.getLocalPort() + "/odd";
            assertThatThrownBy(() -> client.getForObject(url, String.class))
                .isInstanceOf(IllegalArgumentException.class);
            // RestTemplate closes the response it got; before, the interceptor threw and it had none to close
            assertThat(closed).hasSize(1);
            FinishedSpan span = await().until(() -> store.recentTraces(100)
                .stream()
                .flatMap(List::stream)
                .filter(s -> url.equals(s.getTags().get("url.full")))
                .findFirst()
                .orElse(null), found -> found != null);
            assertThat(span.getKind()).isEqualTo(Span.Kind.CLIENT);
            assertError(span, IllegalArgumentException.class);
            answered.cancel(true);
        }
    }

    /** A request factory whose responses note when they are closed. */
    record CloseRecordingFactory(ClientHttpRequestFactory delegate, List<ClientHttpResponse> closed)
            implements ClientHttpRequestFactory {

        @Override
        public ClientHttpRequest createRequest(URI uri, HttpMethod httpMethod) throws IOException {
            ClientHttpRequest request = delegate.createRequest(uri, httpMethod);
            return new ClientHttpRequest() {

                @Override
                public ClientHttpResponse execute() throws IOException {
                    ClientHttpResponse response = request.execute();
                    return new ClientHttpResponse() {

                        @Override
                        public HttpStatusCode getStatusCode() throws IOException {
                            return response.getStatusCode();
                        }

                        @Override
                        public String getStatusText() throws IOException {
                            return response.getStatusText();
                        }

                        @Override
                        public InputStream getBody() throws IOException {
                            return response.getBody();
                        }

                        @Override
                        public HttpHeaders getHeaders() {
                            return response.getHeaders();
                        }

                        @Override
                        public void close() {
                            closed.add(this);
                            response.close();
                        }

                    };
                }

                @Override
                public OutputStream getBody() throws IOException {
                    return request.getBody();
                }

                @Override
                public HttpMethod getMethod() {
                    return request.getMethod();
                }

                @Override
                public URI getURI() {
                    return request.getURI();
                }

                @Override
                public Map<String, Object> getAttributes() {
                    return request.getAttributes();
                }

                @Override
                public HttpHeaders getHeaders() {
                    return request.getHeaders();
                }

            };
        }

    }

    @Test
    void aConnectionFailureEndsTheClientSpanWithTheError() throws Exception {
        HttpResponse<String> response = get("/mvc/unreachable");
        assertThat(response.body()).isEqualTo("call failed");
        List<FinishedSpan> spans = awaitTrace(traceId(response), 2);
        FinishedSpan client = only(spans, s -> s.getKind() == Span.Kind.CLIENT);
        FinishedSpan server = only(spans, s -> s.getKind() == Span.Kind.SERVER);
        assertThat(client.getParentId()).isEqualTo(server.getSpanId());
        assertError(client, java.io.IOException.class);
        assertThat(client.getTags()).doesNotContainKey("http.response.status_code");
    }

    @Test
    void aCallableRunsInTheRequestsSpan(CapturedOutput output) throws Exception {
        String marker = UUID.randomUUID().toString();
        HttpResponse<String> response = get("/mvc/callable/" + marker);
        assertThat(response.statusCode()).isEqualTo(200);
        String traceId = traceId(response);
        // the Callable runs on Boot's task executor: its call and its log line are in the request's trace
        assertCallChain(traceId, marker, "GET /mvc/callable/{marker}");
        assertThat(output.getOut().lines().filter(line -> line.contains("callable calling downstream " + marker)))
            .singleElement()
            .asString()
            .contains(traceId)
            .contains("task-");
    }

    @Test
    void asyncRequestsEndTheirSpanAfterTheAsyncWork() throws Exception {
        HttpResponse<String> response = get("/mvc/async");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("done later");
        FinishedSpan span = awaitTrace(traceId(response), 1).get(0);
        assertThat(span.getName()).isEqualTo("GET /mvc/async");
        assertThat(span.getDuration().toMillis()).isGreaterThanOrEqualTo(300);
        assertThat(span.getTags()).containsEntry("http.response.status_code", "200");
        // no second span arrives later
        throughout(Duration.ofMillis(100))
            .until(() -> store.trace(traceId(response)).size() == 1);
    }

    @Test
    void theDispatchThatFinishesAnAsyncRequestRunsInItsSpan() throws Exception {
        String traceId = "7af7651916cd43dd8448eb211c80319c";
        String marker = UUID.randomUUID().toString();
        // the Callable's exception is handled by an @ExceptionHandler, which Spring MVC runs when Tomcat
        // dispatches the async result: a container thread, after the first dispatch left the filter
        try (LogLines handler = LogLines.capture(App.Endpoints.class.getName())) {
            HttpResponse<String> response = get("/mvc/callable-fails/" + marker, "traceparent",
                    "00-" + traceId + "-" + CALLER_SPAN_ID + "-01");
            assertThat(response.statusCode()).isEqualTo(409);
            FinishedSpan span = awaitTrace(traceId, 1).get(0);
            assertThat(span.getName()).isEqualTo("GET /mvc/callable-fails/{marker}");
            assertThat(span.getTags()).containsEntry("http.response.status_code", "409");
            // a 4xx answered on purpose: the exception is recorded, the span is not an error
            assertThat(span.getTags()).containsEntry("exception.type", CallableFailed.class.getName())
                .containsEntry("exception.message", marker)
                .doesNotContainKey("error");
            assertThat(span.getError()).isNull();
            assertOneLineCarries(handler, "handled " + marker, span);
        }
        assertEachRequestSeesOnlyItsOwnTrace();
    }

    @Test
    void aClientThatGoesAwayMidResponseCancelsTheSpanWithoutAnError() throws Exception {
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        try (Socket socket = new Socket("localhost", port)) {
            socket.getOutputStream()
                .write(("GET /mvc/large HTTP/1.1\r\nHost: localhost\r\ntraceparent: 00-" + traceId + "-"
                        + CALLER_SPAN_ID + "-01\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            assertThat(in.readNBytes(16 * 1024)).hasSize(16 * 1024);
            // reset, not a graceful close: the server's next writes fail
            socket.setSoLinger(true, 0);
        }
        FinishedSpan span = awaitTrace(traceId, 1).get(0);
        assertThat(span.getName()).isEqualTo("GET /mvc/large");
        assertThat(span.getError()).isNull();
        assertThat(span.getTags()).containsEntry("cancelled", "true").doesNotContainKey("error");
    }

    @Test
    void aClientThatCutsItsUploadShortCancelsTheSpanWithoutAnError() throws Exception {
        // read by the handler (Spring MVC answers the failed read itself) and by a filter (it leaves the chain)
        for (String path : List.of("/mvc/upload", "/mvc/filtered-upload")) {
            String traceId = "5bf92f3577b34da6a3ce929d0e0e473" + path.length() % 10;
            try (Socket socket = new Socket("localhost", port)) {
                OutputStream out = socket.getOutputStream();
                out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n"
                        + "Content-Length: 1048576\r\ntraceparent: 00-" + traceId + "-" + CALLER_SPAN_ID + "-01\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
                out.write(new byte[16 * 1024]);
                out.flush();
                // reset, not a graceful close: the read of the body fails
                socket.setSoLinger(true, 0);
            }
            FinishedSpan span = awaitTrace(traceId, 1).get(0);
            assertThat(span.getError()).as(path).isNull();
            assertThat(span.getTags()).as(path)
                .containsEntry("cancelled", "true")
                .doesNotContainKey("error")
                .doesNotContainKey("exception.type");
        }
    }

    @Test
    void anIoFailureOfTheApplicationsOwnIsAServerErrorNotADisconnectedClient() throws Exception {
        HttpResponse<String> failed = get("/mvc/downstream-eof");
        assertThat(failed.statusCode()).isEqualTo(500);
        FinishedSpan span = awaitTrace(traceId(failed), 1).get(0);
        assertThat(span.getTags()).containsEntry("http.response.status_code", "500").doesNotContainKey("cancelled");
        assertError(span, IOException.class).hasMessage("upstream failed");
    }

    @Test
    void anAsyncRequestAnsweredByTheErrorPageKeepsItsRoute() throws Exception {
        HttpResponse<String> missing = get("/mvc/async-missing/42");
        assertThat(missing.statusCode()).isEqualTo(404);
        HttpResponse<String> failed = get("/mvc/callable-unhandled");
        assertThat(failed.statusCode()).isEqualTo(500);
        // Tomcat renders Boot's error page (a forward to /error) before the async request completes
        FinishedSpan span = awaitTrace(traceId(missing), 1).get(0);
        assertThat(span.getName()).isEqualTo("GET /mvc/async-missing/{id}");
        assertThat(span.getTags()).containsEntry("http.route", "/mvc/async-missing/{id}")
            .containsEntry("http.response.status_code", "404");
        FinishedSpan unhandled = awaitTrace(traceId(failed), 1).get(0);
        assertThat(unhandled.getName()).isEqualTo("GET /mvc/callable-unhandled");
    }

    @Test
    void tomcatsLogLineForAFailedAsyncDispatchCarriesItsTraceAndTheSpanItsError() throws Exception {
        String traceId = "8af7651916cd43dd8448eb211c80319c";
        try (LogLines tomcat = LogLines.capture("org.apache.catalina.core.ContainerBase")) {
            HttpResponse<String> response = get("/mvc/callable-unhandled", "traceparent",
                    "00-" + traceId + "-" + CALLER_SPAN_ID + "-01");
            assertThat(response.statusCode()).isEqualTo(500);
            FinishedSpan span = awaitTrace(traceId, 1).get(0);
            assertThat(span.getTags()).containsEntry("http.response.status_code", "500");
            assertError(span, IllegalStateException.class).hasMessage("callable not handled");
            assertOneLineCarries(tomcat, "callable not handled", span);
        }
        assertEachRequestSeesOnlyItsOwnTrace();
    }

    @Test
    void a500MarksTheSpanAsAnError() throws Exception {
        String traceId = "5af7651916cd43dd8448eb211c80319c";
        HttpResponse<String> response = get("/mvc/fail", "traceparent", "00-" + traceId + "-" + CALLER_SPAN_ID + "-01");
        assertThat(response.statusCode()).isEqualTo(500);
        FinishedSpan span = awaitTrace(traceId, 1).get(0);
        assertThat(span.getName()).isEqualTo("GET /mvc/fail");
        assertThat(span.getTags()).containsEntry("http.response.status_code", "500");
        // the exception the controller threw, not the container's ServletException around it
        assertError(span, IllegalStateException.class).hasMessage("mvc handler failed");
    }

    @Test
    void anExceptionAnExceptionHandlerTurnedIntoA500IsTheSpansError() throws Exception {
        HttpResponse<String> response = get("/mvc/kaboom");
        assertThat(response.statusCode()).isEqualTo(500);
        FinishedSpan span = awaitTrace(traceId(response), 1).get(0);
        assertThat(span.getTags()).containsEntry("http.response.status_code", "500");
        assertError(span, Kaboom.class).hasMessage("kaboom");
    }

    @Test
    void anExceptionAViewReturningHandlerAnsweredIsRecordedToo() throws Exception {
        // an @ExceptionHandler that renders a view (an error page) rather than a body
        HttpResponse<String> failed = get("/mvc/page/500");
        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(failed.body()).isEqualTo("error page");
        FinishedSpan span = awaitTrace(traceId(failed), 1).get(0);
        assertError(span, PageFailed.class).hasMessage("page 500");

        HttpResponse<String> refused = get("/mvc/page/409");
        assertThat(refused.statusCode()).isEqualTo(409);
        FinishedSpan refusal = awaitTrace(traceId(refused), 1).get(0);
        assertThat(refusal.getError()).isNull();
        assertThat(refusal.getTags()).containsEntry("exception.type", PageFailed.class.getName())
            .containsEntry("exception.message", "page 409");
    }

    @Test
    void tomcatsLogLineForAFailedRequestCarriesItsTrace() throws Exception {
        String traceId = "6af7651916cd43dd8448eb211c80319c";
        // Tomcat's wrapper logs an exception that escaped the filter chain after every filter has returned
        try (LogLines tomcat = LogLines.capture("org.apache.catalina.core.ContainerBase")) {
            HttpResponse<String> response = get("/mvc/fail", "traceparent",
                    "00-" + traceId + "-" + CALLER_SPAN_ID + "-01");
            assertThat(response.statusCode()).isEqualTo(500);
            FinishedSpan span = awaitTrace(traceId, 1).get(0);
            assertOneLineCarries(tomcat, "mvc handler failed", span);
        }
        // and the failed request's trace is not left on Tomcat's threads
        assertEachRequestSeesOnlyItsOwnTrace();
    }

    @Test
    void aSessionIdInThePathIsNotRecorded() throws Exception {
        HttpResponse<String> response = get("/mvc/current;jsessionid=5EC2E7A1B2C3D4E5F6A7B8C9D0E1F2A3");
        assertThat(response.statusCode()).isEqualTo(200);
        FinishedSpan span = awaitTrace(traceId(response), 1).get(0);
        assertThat(span.getName()).isEqualTo("GET /mvc/current");
        assertThat(span.getTags()).containsEntry("url.path", "/mvc/current");
        assertThat(span.getTags().values()).noneMatch(value -> value.contains("5EC2E7A1"));
    }

    @Test
    void noSpanIsLeftCurrentOnTheRequestThreads() throws Exception {
        assertEachRequestSeesOnlyItsOwnTrace();
    }

    static final class Kaboom extends IllegalStateException {

        Kaboom() {
            super("kaboom");
        }

    }

    static final class PageFailed extends RuntimeException {

        final int status;

        PageFailed(int status) {
            super("page " + status);
            this.status = status;
        }

    }

    static final class CallableFailed extends RuntimeException {

        CallableFailed(String marker) {
            super(marker);
        }

    }

    /** One line holds the text, and it carries the span's trace and span ids. */
    private static void assertOneLineCarries(LogLines log, String text, FinishedSpan span) {
        assertThat(log.lines()).filteredOn(line -> line.message().contains(text))
            .singleElement()
            .satisfies(line -> {
                assertThat(line.traceId()).isEqualTo(span.getTraceId());
                assertThat(line.spanId()).isEqualTo(span.getSpanId());
            });
    }

    /** A new request starts with only its own span current: never a previous request's. */
    private void assertEachRequestSeesOnlyItsOwnTrace() throws Exception {
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> response = get("/mvc/current");
            assertThat(response.body()).isEqualTo(traceId(response));
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        /**
         * A filter of the application's whose own connection to a downstream service dropped, before any
         * response: not the client going away (Spring MVC answers a handler's such exception itself).
         */
        /** A filter of the application's that reads the whole body (a webhook's signature check, say). */
        @Bean
        FilterRegistrationBean<Filter> bodyReadingFilter() {
            FilterRegistrationBean<Filter> registration = new FilterRegistrationBean<>((request, response, chain) -> {
                request.getInputStream().readAllBytes();
                chain.doFilter(request, response);
            });
            registration.addUrlPatterns("/mvc/filtered-upload");
            return registration;
        }

        @Bean
        FilterRegistrationBean<Filter> downstreamEofFilter() {
            FilterRegistrationBean<Filter> registration = new FilterRegistrationBean<>((request, response, chain) -> {
                throw new IOException("upstream failed", new EOFException("EOF reached while reading"));
            });
            registration.addUrlPatterns("/mvc/downstream-eof");
            return registration;
        }

        /** Pages, whose failures an exception handler answers with a view. */
        @Controller
        static class Pages {

            @GetMapping("/mvc/page/{status}")
            String page(@PathVariable int status) {
                throw new PageFailed(status);
            }

            @ExceptionHandler
            ModelAndView handle(PageFailed failure) {
                View errorPage = (model, request, response) -> response.getWriter().write("error page");
                ModelAndView page = new ModelAndView(errorPage);
                page.setStatus(HttpStatus.valueOf(failure.status));
                return page;
            }

        }

        @RestController
        static class Endpoints {

            private static final Logger logger = LoggerFactory.getLogger(Endpoints.class);

            private final RestClient.Builder restClientBuilder;

            private final RestTemplateBuilder restTemplateBuilder;

            private final ApplicationContext context;

            private final Tracer tracer;

            private final ObservationRegistry observationRegistry;

            Endpoints(RestClient.Builder restClientBuilder, RestTemplateBuilder restTemplateBuilder,
                    ApplicationContext context, Tracer tracer, ObservationRegistry observationRegistry) {
                this.observationRegistry = observationRegistry;
                this.restClientBuilder = restClientBuilder;
                this.restTemplateBuilder = restTemplateBuilder;
                this.context = context;
                this.tracer = tracer;
            }

            private String base() {
                return "http://127.0.0.1:" + ((WebServerApplicationContext) context).getWebServer().getPort();
            }

            @GetMapping("/mvc/downstream/{marker}")
            String downstream(@PathVariable String marker, HttpServletRequest request) {
                downstreamTraceparents.put(marker, Collections.list(request.getHeaders("traceparent")));
                List<String> others = new ArrayList<>(Collections.list(request.getHeaders("b3")));
                others.addAll(Collections.list(request.getHeaders("uber-trace-id")));
                downstreamOtherFormats.put(marker, others);
                return "ok";
            }

            @GetMapping("/mvc/rest-client/{marker}")
            String restClient(@PathVariable String marker) {
                logger.info("calling downstream {}", marker);
                return restClientBuilder.build()
                    .get()
                    .uri(base() + "/mvc/downstream/{marker}?src={src}", marker, "rest-client")
                    .retrieve()
                    .body(String.class);
            }

            @GetMapping("/mvc/hand-built/{client}/{marker}")
            String handBuilt(@PathVariable String client, @PathVariable String marker) {
                String downstream = base() + "/mvc/downstream/{marker}";
                return switch (client) {
                    case "rest-client" -> RestClient.builder().observationRegistry(observationRegistry).build().get()
                        .uri(downstream, marker).retrieve().body(String.class);
                    case "rest-template" -> {
                        RestTemplate restTemplate = new RestTemplate();
                        restTemplate.setObservationRegistry(observationRegistry);
                        yield restTemplate.getForObject(downstream, String.class, marker);
                    }
                    default -> RestClient.create().get().uri(downstream, marker).retrieve().body(String.class);
                };
            }

            /** A gateway: passes its caller's headers on with the call. */
            @GetMapping("/mvc/gateway/{client}/{marker}")
            String gateway(@PathVariable String client, @PathVariable String marker, HttpServletRequest request) {
                String downstream = base() + "/mvc/downstream/" + marker;
                HttpHeaders passed = new HttpHeaders();
                for (String name : List.of("b3", "uber-trace-id")) {
                    passed.addAll(name, Collections.list(request.getHeaders(name)));
                }
                if (client.equals("rest-template")) {
                    return restTemplateBuilder.build()
                        .exchange(downstream, HttpMethod.GET, new HttpEntity<>(passed), String.class)
                        .getBody();
                }
                return restClientBuilder.build().get().uri(downstream).headers(headers -> headers.addAll(passed))
                    .retrieve().body(String.class);
            }

            /** A RestTemplate from Boot's builder whose interceptors the application replaced afterwards. */
            @GetMapping("/mvc/replaced-interceptors/{marker}")
            String replacedInterceptors(@PathVariable String marker) {
                RestTemplate restTemplate = restTemplateBuilder.build();
                restTemplate.setInterceptors(List.of((request, body, execution) -> execution.execute(request, body)));
                return restTemplate.getForObject(base() + "/mvc/downstream/" + marker, String.class);
            }

            @GetMapping("/mvc/rest-template/{marker}")
            String restTemplate(@PathVariable String marker) {
                return restTemplateBuilder.build().getForObject(base() + "/mvc/downstream/" + marker, String.class);
            }

            @GetMapping("/mvc/unreachable")
            String unreachable() {
                try {
                    return restClientBuilder.build().get().uri("http://127.0.0.1:1/nothing").retrieve().body(String.class);
                }
                catch (org.springframework.web.client.ResourceAccessException ex) {
                    return "call failed";
                }
            }

            @GetMapping("/mvc/async")
            DeferredResult<String> async() {
                DeferredResult<String> result = new DeferredResult<>();
                CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS).execute(() -> result.setResult("done later"));
                return result;
            }

            @GetMapping("/mvc/callable/{marker}")
            java.util.concurrent.Callable<String> callable(@PathVariable String marker) {
                return () -> {
                    logger.info("callable calling downstream {} on {}", marker, Thread.currentThread().getName());
                    return restClientBuilder.build().get().uri(base() + "/mvc/downstream/" + marker).retrieve()
                        .body(String.class);
                };
            }

            @GetMapping("/mvc/callable-fails/{marker}")
            java.util.concurrent.Callable<String> callableFails(@PathVariable String marker) {
                return () -> {
                    throw new CallableFailed(marker);
                };
            }

            @ExceptionHandler
            ResponseEntity<String> handle(CallableFailed failure) {
                logger.info("handled {}", failure.getMessage());
                return ResponseEntity.status(409).body(failure.getMessage());
            }

            @GetMapping("/mvc/large")
            void large(HttpServletResponse response) throws IOException {
                response.setContentType("application/octet-stream");
                byte[] chunk = new byte[64 * 1024];
                OutputStream body = response.getOutputStream();
                for (int i = 0; i < 1024; i++) {
                    // 64 MB: far more than the socket buffers hold once the client stops reading
                    body.write(chunk);
                    body.flush();
                }
            }

            @PostMapping("/mvc/upload")
            String upload(HttpServletRequest request) throws IOException {
                return "read " + request.getInputStream().readAllBytes().length;
            }

            @GetMapping("/mvc/async-missing/{id}")
            DeferredResult<String> asyncMissing(@PathVariable String id) {
                DeferredResult<String> result = new DeferredResult<>();
                CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS)
                    .execute(() -> result.setErrorResult(new ResponseStatusException(HttpStatus.NOT_FOUND, "no " + id)));
                return result;
            }

            @GetMapping("/mvc/callable-unhandled")
            java.util.concurrent.Callable<String> callableUnhandled() {
                return () -> {
                    throw new IllegalStateException("callable not handled");
                };
            }

            @GetMapping("/mvc/fail")
            String fail() {
                throw new IllegalStateException("mvc handler failed");
            }

            @GetMapping("/mvc/kaboom")
            String kaboom() {
                throw new Kaboom();
            }

            @ExceptionHandler
            ResponseEntity<String> handle(Kaboom failure) {
                return ResponseEntity.status(500).body("handled");
            }

            @GetMapping("/mvc/current")
            String current() {
                Span span = tracer.currentSpan();
                return span == null ? "none" : span.context().traceId();
            }

        }

    }

}
