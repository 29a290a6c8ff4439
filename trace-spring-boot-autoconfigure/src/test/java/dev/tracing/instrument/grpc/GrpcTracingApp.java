package dev.tracing.instrument.grpc;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;
import org.springframework.grpc.server.GlobalServerInterceptor;
import org.springframework.grpc.server.exception.GrpcExceptionHandler;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;

/**
 * A gRPC service declared without generated code: {@code demo.Greeter} with a unary
 * {@code SayHello} (String in, String out, UTF-8) and a server-streaming {@code Count}. It records
 * the trace id current while each call runs, and the trace headers each call arrived with.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class GrpcTracingApp {

    static final MethodDescriptor.Marshaller<String> UTF8 = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
    };

    static final MethodDescriptor<String, String> SAY_HELLO = MethodDescriptor.<String, String>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("demo.Greeter/SayHello")
        .setRequestMarshaller(UTF8)
        .setResponseMarshaller(UTF8)
        .build();

    static final MethodDescriptor<String, String> COUNT = MethodDescriptor.<String, String>newBuilder()
        .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
        .setFullMethodName("demo.Greeter/Count")
        .setRequestMarshaller(UTF8)
        .setResponseMarshaller(UTF8)
        .build();

    /** Fails in the handler it sets for the transport's readiness, as a flow-controlled stream's source may. */
    static final MethodDescriptor<String, String> FAIL_WHEN_READY = MethodDescriptor.<String, String>newBuilder()
        .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .setFullMethodName("demo.Greeter/FailWhenReady")
        .setRequestMarshaller(UTF8)
        .setResponseMarshaller(UTF8)
        .build();

    static final AtomicInteger port = new AtomicInteger();

    /** The trace id current in the service method, by request. */
    static final Map<String, String> seen = new ConcurrentHashMap<>();

    /** The {@code tenant} baggage current in the service method, by request. */
    static final Map<String, String> tenants = new ConcurrentHashMap<>();

    /** The traceparent values each request arrived with, by request. */
    static final Map<String, List<String>> traceparents = new ConcurrentHashMap<>();

    /** The trace headers of other formats each request arrived with (name=value), by request. */
    static final Map<String, List<String>> otherTraceHeaders = new ConcurrentHashMap<>();

    @EventListener
    void started(GrpcServerStartedEvent event) {
        port.set(event.getPort());
    }

    @Bean
    BindableService greeter(Tracer tracer) {
        return () -> ServerServiceDefinition.builder("demo.Greeter")
            .addMethod(SAY_HELLO, ServerCalls.asyncUnaryCall((String name, StreamObserver<String> answer) -> {
                Span current = tracer.currentSpan();
                seen.put(name, current == null ? "" : current.context().traceId());
                String tenant = tracer.getBaggage("tenant").get();
                if (tenant != null) {
                    tenants.put(name, tenant);
                }
                if (name.startsWith("fail")) {
                    answer.onError(Status.FAILED_PRECONDITION.withDescription("no greeting for " + name)
                        .asRuntimeException());
                    return;
                }
                if (name.startsWith("invalid")) {
                    answer.onError(new IllegalArgumentException("not a name: " + name));
                    return;
                }
                if (name.startsWith("thrown-invalid")) {
                    throw new IllegalArgumentException("not a name: " + name);
                }
                if (name.startsWith("slow")) {
                    try {
                        Thread.sleep(500);
                    }
                    catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                }
                if (name.startsWith("empty")) {
                    // a method of one response that sends none: grpc-java fails the call
                    answer.onCompleted();
                    return;
                }
                if (name.startsWith("crash")) {
                    throw new IllegalStateException("crashed on " + name);
                }
                answer.onNext("Hello, " + name + "!");
                answer.onCompleted();
            }))
            .addMethod(COUNT, ServerCalls.asyncServerStreamingCall((String request, StreamObserver<String> out) -> {
                Span current = tracer.currentSpan();
                seen.put(request, current == null ? "" : current.context().traceId());
                Thread worker = new Thread(() -> {
                    try {
                        for (int i = 0; i < 100; i++) {
                            out.onNext(request + " " + i);
                            Thread.sleep(20);
                        }
                        out.onCompleted();
                    }
                    catch (RuntimeException | InterruptedException ex) {
                        // cancelled by the client
                    }
                });
                worker.start();
            }))
            .addMethod(FAIL_WHEN_READY, ServerCalls.asyncBidiStreamingCall((StreamObserver<String> out) -> {
                ((ServerCallStreamObserver<String>) out).setOnReadyHandler(() -> {
                    throw new IllegalStateException("source failed");
                });
                return new StreamObserver<String>() {
                    @Override
                    public void onNext(String value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                };
            }))
            .build();
    }

    /** The application's mapping of its exceptions to statuses, through Spring gRPC's exception handler. */
    @Bean
    GrpcExceptionHandler invalidArguments() {
        return exception -> exception instanceof IllegalArgumentException
                ? Status.INVALID_ARGUMENT.withDescription(exception.getMessage()).withCause(exception).asException()
                : null;
    }

    /** Records the trace headers each call arrived with, after any interceptor that writes them. */
    @Bean
    @GlobalServerInterceptor
    ServerInterceptor headerRecorder() {
        return new ServerInterceptor() {
            @Override
            public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
                    Metadata headers, ServerCallHandler<ReqT, RespT> next) {
                Iterable<String> values = headers.getAll(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER));
                List<String> others = new java.util.ArrayList<>();
                for (String name : List.of("b3", "x-b3-traceid", "uber-trace-id")) {
                    String value = headers.get(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER));
                    if (value != null) {
                        others.add(name + "=" + value);
                    }
                }
                ServerCall.Listener<ReqT> listener = next.startCall(call, headers);
                return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
                    @Override
                    public void onMessage(ReqT message) {
                        traceparents.put(String.valueOf(message),
                                values == null ? List.of() : java.util.stream.StreamSupport.stream(values.spliterator(), false).toList());
                        otherTraceHeaders.put(String.valueOf(message), others);
                        super.onMessage(message);
                    }
                };
            }
        };
    }

}
