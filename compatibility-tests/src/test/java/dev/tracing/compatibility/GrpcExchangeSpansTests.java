package dev.tracing.compatibility;

import java.util.List;
import java.util.UUID;

import dev.tracing.export.InMemorySpanStore;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.grpc.client.GrpcChannelFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One gRPC call through a channel from Boot's factory: exactly one CLIENT and one SERVER span and
 * one traceparent on the wire, on whichever classpath a subclass runs.
 */
@SpringBootTest(classes = GrpcApp.class,
        properties = { "spring.grpc.server.port=0", "spring.main.web-application-type=none",
                "trace.sampling.rate-limit=0", "trace.export.memory.max-traces-per-second=0" })
abstract class GrpcExchangeSpansTests {

    @Autowired
    ApplicationContext context;

    @Autowired
    Tracer tracer;

    @Autowired
    InMemorySpanStore store;

    @Autowired
    GrpcChannelFactory channels;

    @Test
    void oneSpanPerSideAndOneTraceparentPerCall() {
        ManagedChannel channel = channels.createChannel("127.0.0.1:" + GrpcApp.port.get());
        String message = UUID.randomUUID().toString();
        Span parent = tracer.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(parent)) {
            assertThat(ClientCalls.blockingUnaryCall(channel, GrpcApp.SAY, CallOptions.DEFAULT, message))
                .isEqualTo(message);
        }
        finally {
            parent.end();
            channel.shutdownNow();
        }
        String traceId = parent.context().traceId();
        List<FinishedSpan> spans = Waits.awaitTrace(store, traceId, 3);
        FinishedSpan client = spans.stream().filter(span -> span.getKind() == Span.Kind.CLIENT).findFirst().orElseThrow();
        FinishedSpan server = spans.stream().filter(span -> span.getKind() == Span.Kind.SERVER).findFirst().orElseThrow();
        assertThat(client.getName()).isEqualTo("compat.Echo/Say");
        assertThat(server.getParentId()).isEqualTo(client.getSpanId());
        assertThat(GrpcApp.traceparents.get(message)).containsExactly("00-" + traceId + "-" + client.getSpanId() + "-01");
    }

}
