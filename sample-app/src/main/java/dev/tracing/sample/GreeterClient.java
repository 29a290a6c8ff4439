package dev.tracing.sample;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.event.EventListener;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;
import org.springframework.stereotype.Component;

/**
 * Calls the sample's own gRPC service through a channel from Spring Boot's channel factory, on
 * whatever port the server took ({@code spring.grpc.server.port=0} picks a free one).
 */
@Component
class GreeterClient implements DisposableBean {

    private final GrpcChannelFactory channels;

    private volatile ManagedChannel channel;

    GreeterClient(GrpcChannelFactory channels) {
        this.channels = channels;
    }

    @EventListener
    void serverStarted(GrpcServerStartedEvent event) {
        this.channel = channels.createChannel("127.0.0.1:" + event.getPort());
    }

    /** Asks the service for a greeting; blocks, so call it off the event loop. */
    String sayHello(String name) {
        ManagedChannel current = channel;
        if (current == null) {
            throw new IllegalStateException("the gRPC server has not started");
        }
        return ClientCalls.blockingUnaryCall(current, Greeter.SAY_HELLO, CallOptions.DEFAULT, name);
    }

    @Override
    public void destroy() {
        ManagedChannel current = channel;
        if (current != null) {
            current.shutdownNow();
        }
    }

}
