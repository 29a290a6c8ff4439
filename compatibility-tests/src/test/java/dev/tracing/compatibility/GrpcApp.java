package dev.tracing.compatibility;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.StreamSupport;

import io.grpc.BindableService;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;
import org.springframework.grpc.server.GlobalServerInterceptor;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;

/** A gRPC echo service ({@code compat.Echo/Say}, UTF-8 strings) that records each call's traceparent values. */
@SpringBootConfiguration
@EnableAutoConfiguration
public class GrpcApp {

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
            catch (java.io.IOException ex) {
                throw new java.io.UncheckedIOException(ex);
            }
        }
    };

    static final MethodDescriptor<String, String> SAY = MethodDescriptor.<String, String>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("compat.Echo/Say")
        .setRequestMarshaller(UTF8)
        .setResponseMarshaller(UTF8)
        .build();

    static final AtomicInteger port = new AtomicInteger();

    static final Map<String, List<String>> traceparents = new ConcurrentHashMap<>();

    @EventListener
    void started(GrpcServerStartedEvent event) {
        port.set(event.getPort());
    }

    @Bean
    BindableService echo() {
        return () -> ServerServiceDefinition.builder("compat.Echo")
            .addMethod(SAY, ServerCalls.asyncUnaryCall((String request, io.grpc.stub.StreamObserver<String> answer) -> {
                answer.onNext(request);
                answer.onCompleted();
            }))
            .build();
    }

    @Bean
    @GlobalServerInterceptor
    ServerInterceptor traceparentRecorder() {
        return new ServerInterceptor() {
            @Override
            public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
                    Metadata headers, ServerCallHandler<ReqT, RespT> next) {
                Iterable<String> values = headers.getAll(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER));
                List<String> seen = values == null ? List.of() : StreamSupport.stream(values.spliterator(), false).toList();
                return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
                    @Override
                    public void onMessage(ReqT message) {
                        traceparents.put(String.valueOf(message), seen);
                        super.onMessage(message);
                    }
                };
            }
        };
    }

}
