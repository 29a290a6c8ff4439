package dev.tracing.sample;

import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.stereotype.Service;

/** The gRPC service, on Spring Boot's gRPC server ({@code spring.grpc.server.port}). */
@Service
class GreeterService implements BindableService {

    private static final Logger logger = LoggerFactory.getLogger(GreeterService.class);

    @Override
    public ServerServiceDefinition bindService() {
        return ServerServiceDefinition.builder("sample.Greeter")
            .addMethod(Greeter.SAY_HELLO, ServerCalls.asyncUnaryCall(this::sayHello))
            .build();
    }

    private void sayHello(String name, StreamObserver<String> answer) {
        logger.info("Greeting {} over gRPC", name);
        answer.onNext("Hello, " + name + "!");
        answer.onCompleted();
    }

}
