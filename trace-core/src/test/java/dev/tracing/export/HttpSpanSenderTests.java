package dev.tracing.export;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import org.junit.jupiter.api.Test;
import zipkin2.reporter.Encoding;

import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link HttpSpanSender} against a real HTTP backend on loopback. */
class HttpSpanSenderTests {

    private static final byte[] MESSAGE = ExportTraceServiceRequest.getDefaultInstance().toByteArray();

    @Test
    void postsTheMessageWithItsMediaTypeAndTheConfiguredHeaders() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(backend.url("/v1/traces"), Encoding.PROTO3,
                        Map.of("Authorization", "Bearer s3cr3t"), Duration.ofSeconds(5))) {
            byte[] message = "otlp-bytes".getBytes();
            sender.send(List.of(message));
            assertThat(backend.requests()).singleElement().satisfies(request -> {
                assertThat(request.path()).isEqualTo("/v1/traces");
                assertThat(request.contentType()).isEqualTo("application/x-protobuf");
                assertThat(request.authorization()).isEqualTo("Bearer s3cr3t");
                assertThat(request.body()).isEqualTo(message);
            });
        }
    }

    @Test
    void aRefusedRequestFailsTheSendWithoutShowingTheHeaders() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(backend.url("/v1/traces"), Encoding.PROTO3,
                        Map.of("Authorization", "Bearer s3cr3t"), Duration.ofSeconds(5))) {
            backend.mode(HttpBackend.Mode.FAIL);
            assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOf(IOException.class)
                .hasMessageContaining("HTTP 500")
                .hasMessageNotContaining("s3cr3t");
            assertThat(sender.toString()).contains("Authorization").doesNotContain("s3cr3t");
            // the next batch goes through once the backend accepts again
            backend.mode(HttpBackend.Mode.ACCEPT);
            sender.send(List.of(MESSAGE));
            assertThat(backend.requests()).hasSize(1);
        }
    }

    @Test
    void userInfoInTheEndpointIsSentAsBasicAuthenticationAndTheRestOfTheUrlAsWritten() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(
                        backend.url("/v1/traces").replace("http://", "http://ops:s3cr3t@") + "?to=ops:s3cr3t@team",
                        Encoding.PROTO3, Map.of(), Duration.ofSeconds(5))) {
            sender.send(List.of(MESSAGE));
            assertThat(backend.requests()).singleElement().satisfies(request -> {
                assertThat(request.authorization()).isEqualTo("Basic " + java.util.Base64.getEncoder()
                    .encodeToString("ops:s3cr3t".getBytes(StandardCharsets.UTF_8)));
                assertThat(request.path()).isEqualTo("/v1/traces");
                assertThat(request.query()).isEqualTo("to=ops:s3cr3t@team");
            });
        }
    }

    @Test
    void aRefusedRequestNamesTheEndpointWithoutItsUserInfoOrQuery() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(
                        backend.url("/v1/traces").replace("http://", "http://ops:s3cr3t@") + "?api-key=s3cr3t",
                        Encoding.PROTO3, Map.of(), Duration.ofSeconds(5))) {
            backend.mode(HttpBackend.Mode.FAIL);
            assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOf(IOException.class)
                .hasMessage("HTTP 500 from " + backend.url("/v1/traces"));
        }
    }

    @Test
    void aBackendThatNeverAnswersFailsTheSendAfterTheTimeout() throws Exception {
        // the one deadline covers the whole send
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(backend.url("/v1/traces"), Encoding.PROTO3, Map.of(),
                        Duration.ofMillis(300))) {
            backend.mode(HttpBackend.Mode.HANG);
            assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOf(IOException.class);
        }
    }

    @Test
    void headersThatCannotBeSentAreRefusedNamingTheHeaderNotItsValue() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> HttpSpanSender.create("http://127.0.0.1:9/v1/traces", Encoding.PROTO3,
                    Map.of("x-api-key", "s3cr3t\r\nHost: evil"), Duration.ofSeconds(1)))
            .withMessageContaining("x-api-key")
            .withMessageNotContaining("s3cr3t");
        assertThatIllegalArgumentException().isThrownBy(() -> HttpSpanSender.create("http://127.0.0.1:9/v1/traces",
                Encoding.PROTO3, Map.of("bad name", "v"), Duration.ofSeconds(1)))
            .withMessageContaining("bad name");
        assertThat(HttpSpanSender.checkHeaders(Map.of("x-honeycomb-team", "key"))).containsEntry("x-honeycomb-team",
                "key");
        assertThatIllegalArgumentException().isThrownBy(
                () -> HttpSpanSender.create("ftp://host/x", Encoding.PROTO3, Map.of(), Duration.ofSeconds(1)));
    }

    @Test
    void endpointsNeedASchemeAHostAndThePathSpansArePostedTo() {
        assertThat(HttpSpanSender.checkEndpoint(" http://otel-collector:4318/v1/traces ", null))
            .isEqualTo("http://otel-collector:4318/v1/traces");
        // java.net.URI has no host for a name with an underscore, and the JDK's client refuses it
        assertThatIllegalArgumentException()
            .isThrownBy(() -> HttpSpanSender.checkEndpoint("http://otel_collector:4318/v1/traces", null))
            .withMessageContaining("not a valid internet host name")
            .withMessageNotContaining("otel_collector");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> HttpSpanSender.checkEndpoint("http://collector:4318", "http://localhost:4318/v1/traces"))
            .withMessage("must be the URL that spans are posted to, with its path, e.g. http://localhost:4318/v1/traces");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> HttpSpanSender.checkEndpoint("http://zipkin:94111/api/v2/spans", null))
            .withMessage("has a port outside 1 to 65535");
        assertThat(HttpSpanSender.checkEndpoint("http://zipkin:65535/api/v2/spans", null)).endsWith(":65535/api/v2/spans");
        assertThatIllegalArgumentException().isThrownBy(() -> HttpSpanSender.checkEndpoint("http//no-scheme", null))
            .withMessageContaining("http or https URL");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> HttpSpanSender.checkEndpoint("http://user:s3cr3t@host/a b", null))
            .withMessageNotContaining("s3cr3t");
    }

    @Test
    void anAcceptedAnswerIsReadForTheSpansTheBackendRejectedAfterAll() throws Exception {
        byte[] partialSuccess = ExportTraceServiceResponse.newBuilder()
            .setPartialSuccess(ExportTracePartialSuccess.newBuilder()
                .setRejectedSpans(2)
                .setErrorMessage("spans older than 1h\nWARN forged line"))
            .build()
            .toByteArray();
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(backend.url("/v1/traces"), Encoding.PROTO3,
                        Map.of(), Duration.ofSeconds(5), OtlpSpanExporter::checkAnswer)) {
            backend.script(new HttpBackend.Answer(200, Map.of("Content-Type", "application/x-protobuf"),
                    partialSuccess));
            assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOfSatisfying(
                    PartialExportFailure.class, failure -> {
                        assertThat(failure.failedSpans()).isEqualTo(2);
                        assertThat(failure.getCause()).isInstanceOfSatisfying(ExportFailure.class,
                                cause -> assertThat(cause.kind()).isEqualTo("rejected"));
                        // the collector's reason, without the line break it held
                        assertThat(failure.getMessage()).contains(backend.url("/v1/traces"))
                            .contains("rejected 2 span(s)")
                            .contains("spans older than 1hWARN forged line")
                            .doesNotContain("\n");
                    });
            // a partial success that rejected nothing, an empty body and a proxy's page: all taken
            byte[] nothingRejected = ExportTraceServiceResponse.newBuilder()
                .setPartialSuccess(ExportTracePartialSuccess.newBuilder().setErrorMessage("a warning"))
                .build()
                .toByteArray();
            backend.script(new HttpBackend.Answer(200, Map.of(), nothingRejected),
                    new HttpBackend.Answer(200, Map.of(), new byte[0]),
                    new HttpBackend.Answer(200, Map.of(), "<html>OK</html>".getBytes(StandardCharsets.UTF_8)));
            sender.send(List.of(MESSAGE));
            sender.send(List.of(MESSAGE));
            sender.send(List.of(MESSAGE));
            assertThat(backend.requests()).hasSize(4);
        }
        // a sender that goes by the status alone does not read it
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(backend.url("/v1/traces"), Encoding.PROTO3,
                        Map.of(), Duration.ofSeconds(5))) {
            backend.script(new HttpBackend.Answer(200, Map.of(), partialSuccess));
            sender.send(List.of(MESSAGE));
        }
    }

    @Test
    void a503ThenA200DeliversTheMessageExactlyOnce() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(backend.url("/v1/traces"), Encoding.PROTO3, Map.of(),
                        Duration.ofSeconds(5))) {
            backend.script(new HttpBackend.Answer(503, Map.of()), new HttpBackend.Answer(502, Map.of()));
            sender.send(List.of(MESSAGE));
            assertThat(backend.arrivals()).hasSize(3);
            assertThat(backend.requests()).singleElement()
                .satisfies(request -> assertThat(request.body()).isEqualTo(MESSAGE));
        }
    }

    @Test
    void a429WithRetryAfterWaitsThatLongBeforeTryingAgain() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(backend.url("/v1/traces"), Encoding.PROTO3, Map.of(),
                        Duration.ofSeconds(5))) {
            backend.script(new HttpBackend.Answer(429, Map.of("Retry-After", "1")));
            sender.send(List.of(MESSAGE));
            List<Long> arrivals = backend.arrivals();
            assertThat(arrivals).hasSize(2);
            assertThat(Duration.ofNanos(arrivals.get(1) - arrivals.get(0)))
                .isBetween(Duration.ofMillis(950), Duration.ofMillis(3000));
            assertThat(backend.requests()).hasSize(1);
        }
    }

    @Test
    void aRetryAfterOfZeroWaitsTheBackoffAnyway() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(backend.url("/v1/traces"), Encoding.PROTO3, Map.of(),
                        Duration.ofSeconds(3))) {
            HttpBackend.Answer busy = new HttpBackend.Answer(503, Map.of("Retry-After", "0"));
            HttpBackend.Answer[] answers = new HttpBackend.Answer[200];
            Arrays.fill(answers, busy);
            backend.script(answers);
            assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOf(ExportFailure.class)
                .hasMessageContaining("HTTP 503");
            // 50 to 100 ms, then doubling: a handful of attempts in 3 s (the first answer must come within the
            // deadline on a loaded machine), not a busy loop of re-sends
            assertThat(backend.arrivals()).hasSizeBetween(2, 10);
        }
    }

    @Test
    void whatCannotSucceedIsNotTriedAgainAndRetriesStopAtTheDeadline() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(backend.url("/v1/traces"), Encoding.PROTO3, Map.of(),
                        Duration.ofSeconds(1))) {
            backend.script(new HttpBackend.Answer(401, Map.of()));
            assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOf(ExportFailure.class)
                .hasMessage("HTTP 401 from " + backend.url("/v1/traces"))
                .satisfies(failure -> assertThat(((ExportFailure) failure).kind()).isEqualTo("HTTP 401"));
            assertThat(backend.arrivals()).hasSize(1);
            // Retry-After beyond what is left of the deadline: given up at once, not after the wait
            backend.script(new HttpBackend.Answer(503, Map.of("Retry-After", "5")));
            long start = System.nanoTime();
            assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOf(ExportFailure.class)
                .hasMessageContaining("HTTP 503");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
            assertThat(backend.arrivals()).hasSize(2);
        }
    }

    @Test
    void aRetryAfterLongerThanASendHoldsTheNextSendsUntilItHasPassed() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(backend.url("/v1/traces"), Encoding.PROTO3, Map.of(),
                        Duration.ofSeconds(1))) {
            backend.script(new HttpBackend.Answer(429, Map.of("Retry-After", "3")));
            assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOf(ExportFailure.class)
                .hasMessageContaining("HTTP 429");
            // the next batch is not posted into the same refusal: it waits its deadline out and fails without a request
            long start = System.nanoTime();
            assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOfSatisfying(ExportFailure.class,
                    failure -> {
                        assertThat(failure.kind()).isEqualTo("throttled");
                        assertThat(failure.getMessage()).startsWith(backend.url("/v1/traces") + " asked not to be")
                            .contains("(Retry-After)");
                    });
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
            assertThat(backend.arrivals()).hasSize(1);
            // once what is left of the wait leaves half a deadline for the request, the send waits and goes
            long throttleEnds = backend.arrivals().get(0) + Duration.ofSeconds(3).toNanos();
            Thread.sleep(Math.max(0L, (throttleEnds - System.nanoTime()) / 1_000_000L - 300));
            sender.send(List.of(MESSAGE));
            List<Long> arrivals = backend.arrivals();
            assertThat(arrivals).hasSize(2);
            assertThat(Duration.ofNanos(arrivals.get(1) - arrivals.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(2950));
            assertThat(backend.requests()).hasSize(1);
        }
    }

    @Test
    void redirectsAreNotFollowedAndNameWhereTheyPointWithoutCredentials() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(backend.url("/v1/traces"), Encoding.PROTO3,
                        Map.of("Authorization", "Bearer s3cr3t"), Duration.ofSeconds(5))) {
            backend.script(new HttpBackend.Answer(307,
                    Map.of("Location", "http://thief:pass@collector.example:4318/steal?key=1")));
            assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOf(ExportFailure.class)
                .hasMessageContaining("HTTP 307 from " + backend.url("/v1/traces") + " redirects to "
                        + "http://collector.example:4318/steal")
                .hasMessageNotContaining("pass")
                .hasMessageNotContaining("key=1");
            // one request: the spans and the header went nowhere else
            assertThat(backend.arrivals()).hasSize(1);
            backend.script(new HttpBackend.Answer(302, Map.of("Location", "/elsewhere")));
            assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOf(ExportFailure.class)
                .satisfies(failure -> assertThat(((ExportFailure) failure).kind()).isEqualTo("redirect"));
            assertThat(backend.requests()).isEmpty();
        }
    }

    @Test
    void anAnswerThatTricklesHoldsNothingOnceItsStatusIsIn() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(backend.url("/v1/traces"), Encoding.PROTO3, Map.of(),
                        Duration.ofSeconds(2))) {
            backend.mode(HttpBackend.Mode.TRICKLE);
            long start = System.nanoTime();
            sender.send(List.of(MESSAGE));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
            assertThat(backend.requests()).hasSize(1);
        }
    }

    @Test
    void anAnswerWhoseBodyIsStillComingAtTheDeadlineIsCutOffWithItsConnection() throws Exception {
        try (HttpBackend backend = new HttpBackend();
                HttpSpanSender sender = HttpSpanSender.create(backend.url("/v1/traces"), Encoding.PROTO3, Map.of(),
                        Duration.ofMillis(500))) {
            backend.mode(HttpBackend.Mode.TRICKLE);
            for (int i = 0; i < 5; i++) {
                sender.send(List.of(MESSAGE));
            }
            assertThat(backend.requests()).hasSize(5);
            // the sender stays open: each stalled body alone would hold its connection for good
            await().atMost(Duration.ofSeconds(5)).until(() -> backend.trickling.get() == 0);
        }
    }

    /** What a raw backend does with one accepted connection, which is closed after it. */
    interface ConnectionHandler {

        void handle(Socket socket) throws IOException;

    }

    /**
     * A loopback port that counts each connection in {@code connections} and hands it to
     * {@code handler}, until the returned socket is closed: a backend that does not speak HTTP as
     * {@link HttpBackend} does.
     */
    private static ServerSocket rawBackend(AtomicInteger connections, ConnectionHandler handler) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accepting = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket socket = server.accept()) {
                    connections.incrementAndGet();
                    handler.handle(socket);
                }
                catch (IOException ex) {
                    // closed at the end of the test
                }
            }
        });
        accepting.setDaemon(true);
        accepting.start();
        return server;
    }

    @Test
    void anAnswerThatIsNotHttpIsNotTriedAgainAndSaysWhatCame() throws Exception {
        // a port that answers, but not in HTTP: every try would get the same
        AtomicInteger connections = new AtomicInteger();
        try (ServerSocket notHttp = rawBackend(connections, socket -> {
            socket.getInputStream().read(new byte[4096]);
            socket.getOutputStream().write("HTTP/1.1 two hundred OK\r\nContent-Length: 0\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            socket.getInputStream().read();
        })) {
            try (HttpSpanSender sender = HttpSpanSender.create("http://127.0.0.1:" + notHttp.getLocalPort()
                    + "/v1/traces", Encoding.PROTO3, Map.of(), Duration.ofSeconds(2))) {
                assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOfSatisfying(ExportFailure.class,
                        failure -> {
                            assertThat(failure.kind()).isEqualTo("bad answer");
                            assertThat(failure.getMessage()).startsWith("a bad answer from http://127.0.0.1:"
                                    + notHttp.getLocalPort() + "/v1/traces: ");
                        });
                assertThat(connections.get()).isEqualTo(1);
            }
        }
    }

    @Test
    void aTlsHandshakeTheConnectionCutsOffIsTriedAgainAsAFailedConnection() throws Exception {
        // a TLS ingress that is restarting: it takes the connection, reads the client's hello and closes
        AtomicInteger connections = new AtomicInteger();
        try (ServerSocket ingress = rawBackend(connections, socket -> socket.getInputStream().read(new byte[512]))) {
            try (HttpSpanSender sender = HttpSpanSender.create("https://127.0.0.1:" + ingress.getLocalPort()
                    + "/v1/traces", Encoding.PROTO3, Map.of(), Duration.ofSeconds(2))) {
                assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOfSatisfying(ExportFailure.class,
                        failure -> assertThat(failure.kind()).isEqualTo("connection failed"));
                assertThat(connections.get()).isGreaterThan(1);
            }
        }
    }

    @Test
    void aTlsFailureIsNotTriedAgainAndSaysWhatFailed() throws Exception {
        // https to a port that answers in plain HTTP: the handshake fails, and every try would fail alike
        AtomicInteger connections = new AtomicInteger();
        try (ServerSocket plain = rawBackend(connections, socket -> socket.getOutputStream()
            .write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))) {
            try (HttpSpanSender sender = HttpSpanSender.create("https://127.0.0.1:" + plain.getLocalPort() + "/v1/traces",
                    Encoding.PROTO3, Map.of(), Duration.ofSeconds(5))) {
                long start = System.nanoTime();
                assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOf(ExportFailure.class)
                    .hasMessageStartingWith("TLS with https://127.0.0.1:" + plain.getLocalPort() + "/v1/traces failed: ")
                    .satisfies(failure -> assertThat(((ExportFailure) failure).kind()).isEqualTo("TLS failed"));
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
                assertThat(connections.get()).isEqualTo(1);
            }
        }
    }

    @Test
    void aRefusedConnectionIsTriedAgainUntilTheDeadline() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        try (HttpSpanSender sender = HttpSpanSender.create("http://127.0.0.1:" + closed + "/v1/traces",
                Encoding.PROTO3, Map.of(), Duration.ofMillis(800))) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> sender.send(List.of(MESSAGE))).isInstanceOf(ExportFailure.class)
                .hasMessageStartingWith("connection failed from http://127.0.0.1:" + closed + "/v1/traces")
                .satisfies(failure -> assertThat(((ExportFailure) failure).kind()).isEqualTo("connection failed"));
            // tried more than once, and given up within the deadline
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(50),
                    Duration.ofMillis(1500));
        }
    }

    @Test
    void retryAfterIsReadInSecondsOrAsADateAndCapped() {
        assertThat(HttpSpanSender.retryAfter("1")).isEqualTo(1_000_000_000L);
        assertThat(HttpSpanSender.retryAfter("3600")).isEqualTo(HttpSpanSender.MAX_THROTTLE_NANOS);
        assertThat(HttpSpanSender.retryAfter("soon")).isEqualTo(-1);
        assertThat(HttpSpanSender.retryAfter(null)).isEqualTo(-1);
        String inTwoSeconds = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME
            .format(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(3));
        assertThat(HttpSpanSender.retryAfter(inTwoSeconds)).isBetween(1_000_000_000L, 3_100_000_000L);
    }

    @Test
    void headersTheClientOwnsAreRefusedAtCreation() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> HttpSpanSender.create("http://127.0.0.1:9/v1/traces", Encoding.PROTO3,
                    Map.of("Host", "elsewhere"), Duration.ofSeconds(1)))
            .withMessage("header 'Host' cannot be set on an export request");
        // set by the sender: a second one beside it would contradict the body
        assertThatIllegalArgumentException().isThrownBy(() -> HttpSpanSender.create("http://127.0.0.1:9/v1/traces",
                Encoding.PROTO3, Map.of("content-type", "application/json"), Duration.ofSeconds(1)))
            .withMessageStartingWith("header 'content-type' is the sender's own");
        assertThatIllegalArgumentException().isThrownBy(() -> HttpSpanSender.create("http://127.0.0.1:9/v1/traces",
                Encoding.PROTO3, Map.of("Content-Encoding", "identity"), Duration.ofSeconds(1)))
            .withMessageStartingWith("header 'Content-Encoding' is the sender's own");
        // both would be sent: HTTP names are one header in any case
        Map<String, String> twice = new java.util.LinkedHashMap<>();
        twice.put("Authorization", "Bearer a");
        twice.put("authorization", "Bearer b");
        assertThatIllegalArgumentException().isThrownBy(() -> HttpSpanSender.create("http://127.0.0.1:9/v1/traces",
                Encoding.PROTO3, twice, Duration.ofSeconds(1)))
            .withMessage("header 'authorization' is given twice, in two spellings");
    }

}
