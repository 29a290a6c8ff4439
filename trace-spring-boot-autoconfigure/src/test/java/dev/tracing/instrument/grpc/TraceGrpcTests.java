package dev.tracing.instrument.grpc;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.tracing.core.ThreadLocalCurrentTraceContext;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.binder.grpc.ObservationGrpcClientInterceptor;
import io.micrometer.core.instrument.binder.grpc.ObservationGrpcServerInterceptor;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.grpc.client.GrpcChannelFactory;

import static dev.tracing.testing.TraceAssertions.assertError;
import static dev.tracing.testing.Waits.await;
import static dev.tracing.testing.Waits.throughout;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * gRPC on a real Netty server and client (Spring Boot's gRPC starters), with Boot's gRPC
 * observation interceptors on (actuator is on this classpath): one SERVER span and one CLIENT
 * span per call, the trace across the call in metadata, status codes and errors.
 */
@SpringBootTest(classes = GrpcTracingApp.class,
        properties = { "spring.grpc.server.port=0", "spring.main.web-application-type=none",
                "trace.sampling.rate-limit=0", "trace.export.memory.max-traces-per-second=0",
                "trace.baggage.remote-fields=tenant",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class TraceGrpcTests {

    static final String CALLER_TRACE_ID = "0af7651916cd43dd8448eb211c80319c";

    static final String CALLER_SPAN_ID = "b7ad6b7169203331";

    @Autowired
    InMemorySpanStore store;

    @Autowired
    Tracer tracer;

    @Autowired
    GrpcChannelFactory channels;

    @Autowired
    ApplicationContext context;

    ManagedChannel booted;

    ManagedChannel plain;

    @BeforeEach
    void channels() {
        booted = channels.createChannel("127.0.0.1:" + GrpcTracingApp.port.get());
        plain = ManagedChannelBuilder.forAddress("127.0.0.1", GrpcTracingApp.port.get()).usePlaintext().build();
    }

    @AfterEach
    void close() {
        booted.shutdownNow();
        plain.shutdownNow();
    }

    static Channel withHeaders(Channel channel, String... namesAndValues) {
        Metadata metadata = new Metadata();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            metadata.put(Metadata.Key.of(namesAndValues[i], Metadata.ASCII_STRING_MARSHALLER), namesAndValues[i + 1]);
        }
        return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(metadata));
    }

    static String unary(Channel channel, String request) {
        return ClientCalls.blockingUnaryCall(channel, GrpcTracingApp.SAY_HELLO, CallOptions.DEFAULT, request);
    }

    static FinishedSpan only(List<FinishedSpan> spans, Span.Kind kind) {
        return TraceAssertions.only(spans, span -> span.getKind() == kind);
    }

    @Test
    void aCallFromABootChannelIsAClientSpanWhoseServerSpanIsItsChild() {
        String name = "ada-" + UUID.randomUUID();
        Span parent = tracer.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(parent)) {
            assertThat(unary(booted, name)).isEqualTo("Hello, " + name + "!");
        }
        finally {
            parent.end();
        }
        String traceId = parent.context().traceId();

        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, traceId, 3);
        FinishedSpan client = only(spans, Span.Kind.CLIENT);
        FinishedSpan server = only(spans, Span.Kind.SERVER);
        assertThat(client.getParentId()).isEqualTo(parent.context().spanId());
        assertThat(server.getParentId()).isEqualTo(client.getSpanId());
        for (FinishedSpan span : List.of(client, server)) {
            assertThat(span.getName()).isEqualTo("demo.Greeter/SayHello");
            assertThat(span.getTags()).containsEntry("rpc.system", "grpc")
                .containsEntry("rpc.service", "demo.Greeter")
                .containsEntry("rpc.method", "SayHello")
                .containsEntry("rpc.grpc.status_code", "0")
                .doesNotContainKey("error");
        }
        assertThat(client.getTags()).containsEntry("server.address", "127.0.0.1")
            .containsEntry("server.port", String.valueOf(GrpcTracingApp.port.get()));
        assertThat(server.getTags()).containsEntry("server.port", String.valueOf(GrpcTracingApp.port.get()));
        // the service method ran in the server span, and the call carried one traceparent: the client span's
        assertThat(GrpcTracingApp.seen.get(name)).isEqualTo(traceId);
        assertThat(GrpcTracingApp.traceparents.get(name))
            .containsExactly("00-" + traceId + "-" + client.getSpanId() + "-01");
        // Boot's gRPC observation interceptors ran too, and made no span of their own
        assertThat(context.getBeansOfType(ObservationGrpcServerInterceptor.class)).hasSize(1);
        assertThat(context.getBeansOfType(ObservationGrpcClientInterceptor.class)).hasSize(1);
        // the server span (the caller's decision) arrived first; the trace's root says why it was recorded
        assertThat(store.recentSummaries(100, summary -> summary.traceId().equals(traceId)).get(0).sampledBy())
            .isEqualTo("default");
    }

    @Test
    void aChannelBuiltByHandIsTracedByTheStartersInterceptorBean() {
        // as README says: a hand-built channel gets the CLIENT span from the interceptor bean added to it
        String name = "hand-" + UUID.randomUUID();
        Channel traced = ClientInterceptors.intercept(plain, context.getBean(TraceGrpcClientInterceptor.class));
        Span parent = tracer.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(parent)) {
            unary(traced, name);
        }
        finally {
            parent.end();
        }
        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, parent.context().traceId(), 3);
        FinishedSpan client = only(spans, Span.Kind.CLIENT);
        assertThat(client.getParentId()).isEqualTo(parent.context().spanId());
        assertThat(only(spans, Span.Kind.SERVER).getParentId()).isEqualTo(client.getSpanId());
    }

    @Test
    @SuppressWarnings({ "unchecked", "rawtypes" })
    void bootsServerBuilderGetsTheStatusOfCallsGrpcEndsItself() throws Exception {
        io.grpc.netty.NettyServerBuilder builder = io.grpc.netty.NettyServerBuilder
            .forAddress(new java.net.InetSocketAddress("127.0.0.1", 0))
            .maxInboundMessageSize(16)
            .addService(io.grpc.ServerServiceDefinition.builder("demo.Greeter")
                .addMethod(GrpcTracingApp.SAY_HELLO,
                        io.grpc.stub.ServerCalls.asyncUnaryCall((String name, StreamObserver<String> answer) -> {
                            answer.onNext("Hello, " + name + "!");
                            answer.onCompleted();
                        }))
                .build());
        ((org.springframework.grpc.server.ServerBuilderCustomizer) context.getBean("traceGrpcServerBuilderCustomizer"))
            .customize(builder);
        io.grpc.Server server = builder.build().start();
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        String traceId = "5bf92f3577b34da6a3ce929d0e0e4736";
        try {
            assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(withHeaders(channel, "traceparent",
                    "00-" + traceId + "-00f067aa0ba902b7-01"), GrpcTracingApp.SAY_HELLO, CallOptions.DEFAULT,
                    "a".repeat(1024))).isInstanceOf(StatusRuntimeException.class);
            FinishedSpan span = only(TraceAssertions.awaitTrace(store, traceId, 1), Span.Kind.SERVER);
            assertThat(span.getTags()).containsEntry("rpc.grpc.status_code",
                    String.valueOf(Status.Code.RESOURCE_EXHAUSTED.value()));
        }
        finally {
            channel.shutdownNow();
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void interceptorsAfterOursSeeTheClientSpanAsCurrentWhileTheCallStartsAndSends() {
        String name = "inner-" + UUID.randomUUID();
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.grpc.ClientInterceptor recording = new io.grpc.ClientInterceptor() {
            @Override
            public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(io.grpc.MethodDescriptor<Q, R> method,
                    io.grpc.CallOptions options, Channel next) {
                return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        seen.add("start " + tracer.currentSpan().context().spanId());
                        super.start(listener, headers);
                    }

                    @Override
                    public void sendMessage(Q message) {
                        seen.add("send " + tracer.currentSpan().context().spanId());
                        super.sendMessage(message);
                    }
                };
            }
        };
        // the last interceptor is called first: ours, then the application's
        Channel traced = ClientInterceptors.intercept(plain, recording,
                context.getBean(TraceGrpcClientInterceptor.class));
        Span parent = tracer.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(parent)) {
            unary(traced, name);
        }
        finally {
            parent.end();
        }
        FinishedSpan client = only(TraceAssertions.awaitTrace(store, parent.context().traceId(), 3), Span.Kind.CLIENT);
        assertThat(seen).containsExactly("start " + client.getSpanId(), "send " + client.getSpanId());
    }

    @Test
    void forwardedTraceHeadersOfAnyFormatAreReplacedByTheClientSpans() {
        // a gateway passing on the metadata it received: stale B3 and Jaeger headers of the caller's trace
        String name = "forwarded-" + UUID.randomUUID();
        Span parent = tracer.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(parent)) {
            unary(withHeaders(booted, "b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1", "uber-trace-id",
                    "80f198ee56343ba864fe8b2a57d3eff7:e457b5a2e4d86bd1:0:1"), name);
        }
        finally {
            parent.end();
        }
        FinishedSpan client = only(TraceAssertions.awaitTrace(store, parent.context().traceId(), 3), Span.Kind.CLIENT);
        assertThat(GrpcTracingApp.traceparents.get(name))
            .containsExactly("00-" + parent.context().traceId() + "-" + client.getSpanId() + "-01");
        assertThat(GrpcTracingApp.otherTraceHeaders.get(name)).isEmpty();
    }

    @Test
    void aPlainGrpcClientsTraceparentOrB3IsContinued() {
        String w3c = "w3c-" + UUID.randomUUID();
        unary(withHeaders(plain, "traceparent", "00-" + CALLER_TRACE_ID + "-" + CALLER_SPAN_ID + "-01"), w3c);
        FinishedSpan server = TraceAssertions.awaitTrace(store, CALLER_TRACE_ID, 1).get(0);
        assertThat(server.getParentId()).isEqualTo(CALLER_SPAN_ID);
        assertThat(server.getKind()).isEqualTo(Span.Kind.SERVER);
        assertThat(GrpcTracingApp.seen.get(w3c)).isEqualTo(CALLER_TRACE_ID);

        String b3TraceId = "1bf92f3577b34da6a3ce929d0e0e4736";
        unary(withHeaders(plain, "b3", b3TraceId + "-00f067aa0ba902b7-1"), "b3-" + UUID.randomUUID());
        assertThat(TraceAssertions.awaitTrace(store, b3TraceId, 1).get(0).getParentId()).isEqualTo("00f067aa0ba902b7");
    }

    @Test
    void malformedTraceMetadataStartsAFreshTrace() {
        String name = "malformed-" + UUID.randomUUID();
        unary(withHeaders(plain, "traceparent", "00-not-hex-at-all-01"), name);

        await().until(() -> GrpcTracingApp.seen.containsKey(name));
        String traceId = GrpcTracingApp.seen.get(name);
        assertThat(traceId).matches("[0-9a-f]{32}");
        FinishedSpan server = TraceAssertions.awaitTrace(store, traceId, 1).get(0);
        assertThat(server.getParentId()).isNull();
    }

    @Test
    void binaryMetadataIsNeverReadAsTraceContext() {
        String name = "binary-" + UUID.randomUUID();
        Metadata metadata = new Metadata();
        // OpenCensus' binary trace context, and a binary key named like ours
        metadata.put(Metadata.Key.of("grpc-trace-bin", Metadata.BINARY_BYTE_MARSHALLER), new byte[29]);
        metadata.put(Metadata.Key.of("traceparent-bin", Metadata.BINARY_BYTE_MARSHALLER),
                ("00-" + CALLER_TRACE_ID + "-" + CALLER_SPAN_ID + "-01").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        unary(ClientInterceptors.intercept(plain, MetadataUtils.newAttachHeadersInterceptor(metadata)), name);

        await().until(() -> GrpcTracingApp.seen.containsKey(name));
        String traceId = GrpcTracingApp.seen.get(name);
        assertThat(traceId).isNotEqualTo(CALLER_TRACE_ID);
        assertThat(TraceAssertions.awaitTrace(store, traceId, 1).get(0).getParentId()).isNull();
    }

    @Test
    void baggageInMetadataIsReadWithTheLimitsItHasOverHttp() {
        // grpc-java refuses metadata over 8 KiB before any interceptor; below that, a baggage entry of
        // 200 members keeps its first 64 (W3C baggage's limits, as over HTTP), the remote field among them
        StringBuilder baggage = new StringBuilder("tenant=acme");
        for (int i = 0; i < 200; i++) {
            baggage.append(",member").append(i).append("=value").append(i);
        }
        String name = "baggage-" + UUID.randomUUID();
        String traceId = "4cf92f3577b34da6a3ce929d0e0e4736";
        unary(withHeaders(plain, "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01", "baggage",
                baggage.toString()), name);

        assertThat(GrpcTracingApp.tenants.get(name)).isEqualTo("acme");
        assertThat(TraceAssertions.awaitTrace(store, traceId, 1).get(0).getParentId()).isEqualTo("00f067aa0ba902b7");
    }

    @Test
    void aKeySentTwiceIsReadWholeAsOverHttp() {
        // baggage in two entries: both are read, as two baggage headers are over HTTP
        String name = "repeated-" + UUID.randomUUID();
        String traceId = "5cf92f3577b34da6a3ce929d0e0e4736";
        unary(withHeaders(plain, "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01", "baggage", "tenant=acme",
                "baggage", "region=eu"), name);
        assertThat(GrpcTracingApp.tenants.get(name)).isEqualTo("acme");

        // two different traceparent entries: which one is the caller is unknown, so a fresh trace starts
        String twice = "two-parents-" + UUID.randomUUID();
        unary(withHeaders(plain, "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01", "traceparent",
                "00-" + CALLER_TRACE_ID + "-" + CALLER_SPAN_ID + "-01"), twice);
        await().until(() -> GrpcTracingApp.seen.containsKey(twice));
        assertThat(GrpcTracingApp.seen.get(twice)).isNotIn(traceId, CALLER_TRACE_ID);
    }

    @Test
    void aFailedStatusAndAThrownExceptionAreErrorsOnTheSpans() {
        Span parent = tracer.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(parent)) {
            assertThatThrownBy(() -> unary(booted, "fail-" + UUID.randomUUID())).isInstanceOf(StatusRuntimeException.class)
                .extracting(ex -> ((StatusRuntimeException) ex).getStatus().getCode())
                .isEqualTo(Status.Code.FAILED_PRECONDITION);
        }
        finally {
            parent.end();
        }
        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, parent.context().traceId(), 3);
        // for the caller any status but OK failed the call; for the server, FAILED_PRECONDITION is the
        // caller's doing (OpenTelemetry counts UNKNOWN, INTERNAL, UNAVAILABLE, ... as server errors)
        FinishedSpan failedClient = only(spans, Span.Kind.CLIENT);
        assertThat(failedClient.getTags()).containsEntry("rpc.grpc.status_code", "9");
        assertThat(failedClient.getError() != null ? failedClient.getError().getMessage()
                : failedClient.getTags().get("error")).contains("no greeting for fail-");
        FinishedSpan failedServer = only(spans, Span.Kind.SERVER);
        assertThat(failedServer.getTags()).containsEntry("rpc.grpc.status_code", "9").doesNotContainKey("error");
        assertThat(failedServer.getError()).isNull();

        String crash = "crash-" + UUID.randomUUID();
        String traceId = "2bf92f3577b34da6a3ce929d0e0e4736";
        assertThatThrownBy(() -> unary(withHeaders(plain, "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01"),
                crash)).isInstanceOf(StatusRuntimeException.class);
        FinishedSpan server = TraceAssertions.awaitTrace(store, traceId, 1).get(0);
        assertError(server, IllegalStateException.class).hasMessage("crashed on " + crash);
        assertThat(server.getTags()).containsEntry("rpc.grpc.status_code", String.valueOf(Status.Code.UNKNOWN.value()));
    }

    @Test
    void anAsyncStubsCallbacksRunInTheSpanThatMadeTheCall() throws Exception {
        String name = "async-" + UUID.randomUUID();
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<String> answered = new CompletableFuture<>();
        Span parent = tracer.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(parent)) {
            ClientCalls.asyncUnaryCall(booted.newCall(GrpcTracingApp.SAY_HELLO, CallOptions.DEFAULT), name,
                    new StreamObserver<String>() {
                        @Override
                        public void onNext(String value) {
                            seen.add("onNext " + current());
                        }

                        @Override
                        public void onError(Throwable error) {
                            answered.completeExceptionally(error);
                        }

                        @Override
                        public void onCompleted() {
                            seen.add("onCompleted " + current());
                            answered.complete("done");
                        }
                    });
        }
        answered.get(10, TimeUnit.SECONDS);
        parent.end();
        // on gRPC's executor, as Brave's client interceptor does: the span that made the call
        String expected = parent.context().traceId() + "/" + parent.context().spanId();
        assertThat(seen).containsExactly("onNext " + expected, "onCompleted " + expected);
    }

    private String current() {
        Span span = tracer.currentSpan();
        return span == null ? "none" : span.context().traceId() + "/" + span.context().spanId();
    }

    @Test
    void anExceptionTheApplicationsExceptionHandlerMapsEndsTheServerSpanWithTheStatusSent() {
        // answered with onError, and thrown: Spring gRPC's exception handler closes the call with INVALID_ARGUMENT
        for (String name : List.of("invalid-" + UUID.randomUUID(), "thrown-invalid-" + UUID.randomUUID())) {
            String traceId = UUID.randomUUID().toString().replace("-", "");
            assertThatThrownBy(() -> unary(withHeaders(plain, "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01"),
                    name)).isInstanceOf(StatusRuntimeException.class)
                .extracting(ex -> ((StatusRuntimeException) ex).getStatus().getCode())
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
            FinishedSpan server = TraceAssertions.awaitTrace(store, traceId, 1).get(0);
            assertThat(server.getTags()).as(name)
                .containsEntry("rpc.grpc.status_code", String.valueOf(Status.Code.INVALID_ARGUMENT.value()))
                .doesNotContainKey("error");
            // the caller's doing, as a 4xx over HTTP
            assertThat(server.getError()).as(name).isNull();
        }
    }

    @Test
    void aStreamThatFailsInItsReadinessHandlerEndsItsSpanWithTheException() throws Exception {
        String traceId = UUID.randomUUID().toString().replace("-", "");
        CompletableFuture<Status> closed = new CompletableFuture<>();
        Channel channel = withHeaders(plain, "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01");
        ClientCall<String, String> call = channel.newCall(GrpcTracingApp.FAIL_WHEN_READY, CallOptions.DEFAULT);
        StreamObserver<String> requests = ClientCalls.asyncBidiStreamingCall(call, new StreamObserver<String>() {
            @Override
            public void onNext(String value) {
            }

            @Override
            public void onError(Throwable t) {
                closed.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                closed.complete(Status.OK);
            }
        });
        requests.onNext("go");
        // the client sees the call fail
        assertThat(closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.UNKNOWN);

        FinishedSpan server = TraceAssertions.awaitTrace(store, traceId, 1).get(0);
        assertError(server, IllegalStateException.class).hasMessage("source failed");
        assertThat(server.getTags()).containsEntry("rpc.grpc.status_code", String.valueOf(Status.Code.UNKNOWN.value()));
        requests.onCompleted();
    }

    @Test
    void aCallWhoseDeadlinePassesWhileTheMethodRunsIsNotOkOnTheServer() {
        String traceId = UUID.randomUUID().toString().replace("-", "");
        Channel channel = withHeaders(plain, "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01");
        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, GrpcTracingApp.SAY_HELLO,
                CallOptions.DEFAULT.withDeadlineAfter(100, TimeUnit.MILLISECONDS), "slow-" + UUID.randomUUID()))
            .isInstanceOf(StatusRuntimeException.class)
            .extracting(ex -> ((StatusRuntimeException) ex).getStatus().getCode())
            .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        // the method answered OK after the deadline had passed: the client got DEADLINE_EXCEEDED, a server error
        assertDeadlineExceededOnTheServer(traceId);
    }

    @Test
    void aStreamingCallWhoseDeadlinePassesIsDeadlineExceededOnTheServer() {
        String traceId = UUID.randomUUID().toString().replace("-", "");
        Channel channel = withHeaders(plain, "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01");
        Iterator<String> answers = ClientCalls.blockingServerStreamingCall(channel, GrpcTracingApp.COUNT,
                CallOptions.DEFAULT.withDeadlineAfter(150, TimeUnit.MILLISECONDS), "count-" + UUID.randomUUID());
        assertThatThrownBy(() -> answers.forEachRemaining(answer -> { }))
            .isInstanceOf(StatusRuntimeException.class)
            .extracting(ex -> ((StatusRuntimeException) ex).getStatus().getCode())
            .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        // the client's reset at its deadline may reach the server before the server's copy of it passes
        assertDeadlineExceededOnTheServer(traceId);
    }

    private void assertDeadlineExceededOnTheServer(String traceId) {
        FinishedSpan server = TraceAssertions.awaitTrace(store, traceId, 1).get(0);
        assertThat(server.getTags())
            .containsEntry("rpc.grpc.status_code", String.valueOf(Status.Code.DEADLINE_EXCEEDED.value()))
            .containsEntry("error", "DEADLINE_EXCEEDED");
    }

    @Test
    void aCallItsClientCancelledIsCancelledEvenIfTheMethodOutlivesTheDeadline() throws Exception {
        // the method takes 500 ms; the client gives up at 50 ms, long before its 350 ms deadline
        assertThat(serverSpanOfASlowCallCancelled(350, 50).getTags())
            .containsEntry("rpc.grpc.status_code", String.valueOf(Status.Code.CANCELLED.value()))
            .doesNotContainKey("error");
    }

    @Test
    void aCallOfAShortDeadlineItsClientCancelledIsCancelled() throws Exception {
        // 80 ms to answer, given up after 5: the client cancelled, well before its deadline's last tenth
        assertThat(serverSpanOfASlowCallCancelled(80, 5).getTags())
            .containsEntry("rpc.grpc.status_code", String.valueOf(Status.Code.CANCELLED.value()))
            .doesNotContainKey("error");
    }

    /**
     * The SERVER span of a 500 ms call its client cancels {@code cancelAfter} ms into a deadline of {@code deadline} ms,
     * once the server's method has the call (a cancel before the call reached the server leaves no server span). An
     * attempt whose call reached the method too late to be cancelled before the deadline's last fifth, or never reached
     * it before its deadline, is tried again.
     */
    private FinishedSpan serverSpanOfASlowCallCancelled(long deadline, long cancelAfter) throws InterruptedException {
        for (int attempt = 1;; attempt++) {
            String traceId = UUID.randomUUID().toString().replace("-", "");
            String name = "slow-" + UUID.randomUUID();
            Channel channel = withHeaders(plain, "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01");
            long start = System.nanoTime();
            var answer = ClientCalls.futureUnaryCall(channel.newCall(GrpcTracingApp.SAY_HELLO,
                    CallOptions.DEFAULT.withDeadlineAfter(deadline, TimeUnit.MILLISECONDS)), name);
            await().pollInterval(Duration.ofMillis(1))
                .until(() -> GrpcTracingApp.seen.containsKey(name) || answer.isDone());
            if (!GrpcTracingApp.seen.containsKey(name) && attempt < 5) {
                // the deadline passed before the call reached the method (a slow connect): the server may have
                // answered it without running the method
                continue;
            }
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            Thread.sleep(Math.max(0, cancelAfter - waited));
            answer.cancel(true);
            long cancelledAt = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            FinishedSpan server = TraceAssertions.awaitTrace(store, traceId, 1).get(0);
            if (cancelledAt < deadline * 8 / 10 || attempt == 5) {
                return server;
            }
        }
    }

    @Test
    void aCallWhoseClientConnectionGoesAwayIsCancelledNotAServerError() throws Exception {
        // the client process dies under a call, its connection reset (here by a proxy of the test's): the client's
        // doing, not a server error
        String traceId = UUID.randomUUID().toString().replace("-", "");
        String name = "slow-" + UUID.randomUUID();
        List<java.net.Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (java.net.ServerSocket proxy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    java.net.Socket client = proxy.accept();
                    java.net.Socket server = new java.net.Socket("127.0.0.1", GrpcTracingApp.port.get());
                    sockets.add(client);
                    sockets.add(server);
                    pump(client, server);
                    pump(server, client);
                }
                catch (java.io.IOException ex) {
                    // the test fails waiting for the call
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            ManagedChannel own = ManagedChannelBuilder.forAddress("127.0.0.1", proxy.getLocalPort())
                .usePlaintext()
                .build();
            try {
                ClientCalls.futureUnaryCall(withHeaders(own, "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")
                    .newCall(GrpcTracingApp.SAY_HELLO, CallOptions.DEFAULT), name);
                await().pollInterval(Duration.ofMillis(1)).until(() -> GrpcTracingApp.seen.containsKey(name));
                for (java.net.Socket socket : sockets) {
                    socket.setSoLinger(true, 0);
                    socket.close();
                }
            }
            finally {
                own.shutdownNow();
            }
        }
        FinishedSpan server = TraceAssertions.awaitTrace(store, traceId, 1).get(0);
        assertThat(server.getTags())
            .containsEntry("rpc.grpc.status_code", String.valueOf(Status.Code.CANCELLED.value()))
            .doesNotContainKey("error");
    }

    /** Copies what {@code from} receives to {@code to}, on a thread of its own, until either closes. */
    private static void pump(java.net.Socket from, java.net.Socket to) {
        Thread copier = new Thread(() -> {
            try {
                from.getInputStream().transferTo(to.getOutputStream());
            }
            catch (java.io.IOException ex) {
                // the connection was reset
            }
        });
        copier.setDaemon(true);
        copier.start();
    }

    @Test
    void aUnaryMethodThatCompletesWithoutAResponseIsAnInternalErrorOnTheServer() {
        String traceId = UUID.randomUUID().toString().replace("-", "");
        assertThatThrownBy(() -> unary(withHeaders(plain, "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01"),
                "empty-" + UUID.randomUUID())).isInstanceOf(StatusRuntimeException.class);
        FinishedSpan server = TraceAssertions.awaitTrace(store, traceId, 1).get(0);
        assertThat(server.getTags()).containsEntry("rpc.grpc.status_code", String.valueOf(Status.Code.INTERNAL.value()))
            .containsKey("error");
    }

    @Test
    void aStreamingCallCancelledByTheClientEndsItsSpanOnceAndLeavesNoContextOnThreads() {
        String request = "count-" + UUID.randomUUID();
        String traceId = "3bf92f3577b34da6a3ce929d0e0e4736";
        Channel channel = withHeaders(plain, "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01");
        ClientCall<String, String> call = channel.newCall(GrpcTracingApp.COUNT, CallOptions.DEFAULT);
        Iterator<String> answers = ClientCalls.blockingServerStreamingCall(call, request);
        assertThat(answers.next()).isEqualTo(request + " 0");
        call.cancel("enough", null);

        FinishedSpan server = TraceAssertions.awaitTrace(store, traceId, 1).get(0);
        assertThat(server.getName()).isEqualTo("demo.Greeter/Count");
        // the streaming method ran in the call's span
        assertThat(GrpcTracingApp.seen.get(request)).isEqualTo(traceId);
        assertThat(server.getTags()).containsEntry("rpc.grpc.status_code", String.valueOf(Status.Code.CANCELLED.value()));
        throughout(Duration.ofMillis(300)).until(() -> store.trace(traceId).size() == 1);
        await().until(() -> ThreadLocalCurrentTraceContext.threadsWithAContext().isEmpty());
    }

}
