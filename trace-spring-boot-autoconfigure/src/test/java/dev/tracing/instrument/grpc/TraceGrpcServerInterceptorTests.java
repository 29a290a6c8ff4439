package dev.tracing.instrument.grpc;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import dev.tracing.propagation.CompositePropagator;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import static dev.tracing.testing.Waits.await;
import static dev.tracing.testing.Waits.throughout;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server interceptor on a real Netty gRPC server, registered as Boot's servers get it (on the
 * server builder and among each service's global interceptors) and as a server factory of the
 * application's gets it (the services' interceptors only): one SERVER span per call either way.
 */
class TraceGrpcServerInterceptorTests {

    private final List<FinishedSpan> spans = new CopyOnWriteArrayList<>();

    private final TraceTracer tracer = Tracing.newBuilder().reporter(spans::add).build();

    private final TraceGrpcServerInterceptor interceptor = new TraceGrpcServerInterceptor(
            new GrpcSpanPolicy(tracer, CompositePropagator.builder(tracer).build()));

    private final ServerServiceDefinition greeter = ServerServiceDefinition.builder("demo.Greeter")
        .addMethod(GrpcTracingApp.SAY_HELLO, ServerCalls.asyncUnaryCall((String name, StreamObserver<String> answer) -> {
            answer.onNext("Hello, " + name + "!");
            answer.onCompleted();
        }))
        .build();

    @Test
    void onTheBuilderAndAmongTheServicesInterceptorsACallHasOneServerSpan() throws Exception {
        assertOneServerSpanPerCall(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(ServerInterceptors.intercept(greeter, interceptor))
            .intercept(interceptor));
    }

    @Test
    void amongTheServicesInterceptorsOnlyACallHasOneServerSpan() throws Exception {
        assertOneServerSpanPerCall(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(ServerInterceptors.intercept(greeter, interceptor)));
    }

    @Test
    void aCallStartedOnTheThreadWhileAnotherStartsHasASpanOfItsOwn() {
        // an in-process server on a direct executor starts a nested call's handlers on the starting thread
        List<ServerCall<String, String>> started = new ArrayList<>();
        ServerCallHandler<String, String> service = (call, headers) -> {
            started.add(call);
            return new ServerCall.Listener<>() {
            };
        };
        ServerCallHandler<String, String> outerService = (call, headers) -> {
            started.add(call);
            // both registrations, as on Boot's servers, for the nested call too
            interceptor.interceptCall(new NoTransportCall(), new Metadata(),
                    (inner, innerHeaders) -> interceptor.interceptCall(inner, innerHeaders, service));
            return new ServerCall.Listener<>() {
            };
        };
        interceptor.interceptCall(new NoTransportCall(), new Metadata(),
                (call, headers) -> interceptor.interceptCall(call, headers, outerService));
        for (ServerCall<String, String> call : started) {
            call.close(Status.OK, new Metadata());
        }
        assertThat(started).hasSize(2);
        assertThat(spans).hasSize(2).allSatisfy(span -> assertThat(span.getKind()).isEqualTo(Span.Kind.SERVER));
    }

    /** A call with no transport behind it: what the interceptor reads of a call, and a close. */
    private static final class NoTransportCall extends ServerCall<String, String> {

        @Override
        public void request(int count) {
        }

        @Override
        public void sendHeaders(Metadata headers) {
        }

        @Override
        public void sendMessage(String message) {
        }

        @Override
        public void close(Status status, Metadata trailers) {
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public MethodDescriptor<String, String> getMethodDescriptor() {
            return GrpcTracingApp.SAY_HELLO;
        }

    }

    @Test
    void aRequestOverTheServersInboundLimitEndsItsSpanWithTheStatusTheClientGot() throws Exception {
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .maxInboundMessageSize(16)
            .addService(greeter)
            .intercept(interceptor)
            .addStreamTracerFactory(new TraceGrpcServerStreamTracerFactory())
            .build()
            .start();
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        try {
            io.grpc.StatusRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(
                    io.grpc.StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(channel,
                            GrpcTracingApp.SAY_HELLO, CallOptions.DEFAULT, "a".repeat(1024)));
            assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            await().until(() -> spans.size() >= 1);
            assertThat(spans).singleElement()
                .satisfies(span -> assertThat(span.getTags()).containsEntry("rpc.grpc.status_code",
                        String.valueOf(Status.Code.RESOURCE_EXHAUSTED.value())));
        }
        finally {
            channel.shutdownNow();
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private void assertOneServerSpanPerCall(NettyServerBuilder builder) throws Exception {
        Server server = builder.build().start();
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        try {
            for (int i = 0; i < 3; i++) {
                String traceId = "4bf92f3577b34da6a3ce929d0e0e473" + i;
                String answer = ClientCalls.blockingUnaryCall(TraceGrpcTests.withHeaders(channel,
                        "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01"), GrpcTracingApp.SAY_HELLO,
                        CallOptions.DEFAULT, "ada");
                assertThat(answer).isEqualTo("Hello, ada!");
            }
            await().until(() -> spans.size() >= 3);
            throughout(Duration.ofMillis(200)).until(() -> spans.size() == 3);
            assertThat(spans).allSatisfy(span -> {
                assertThat(span.getKind()).isEqualTo(Span.Kind.SERVER);
                assertThat(span.getParentId()).isEqualTo("00f067aa0ba902b7");
            });
            assertThat(tracer.openSpanCount()).isZero();
        }
        finally {
            channel.shutdownNow();
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

}
