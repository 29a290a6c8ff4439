package dev.tracing.instrument.observation;

import java.util.HashSet;
import java.util.Set;

import io.micrometer.observation.Observation;

/**
 * The kinds of exchange this starter's own instrumentation traces, named by the Observation
 * context class Spring uses for the same exchange: HTTP server requests (servlet and reactive),
 * HTTP client requests (RestTemplate/RestClient and WebClient) and Kafka records sent and
 * received. An Observation of one of these kinds must not get a second span.
 *
 * <p>Design notes: matched by class name, so no Spring Web or Spring Kafka class has to be on
 * the classpath; the answer per context class is cached in a {@link ClassValue}, so the check
 * on each Observation start is one lookup.
 */
public final class InstrumentedExchanges {

    static final Set<String> SERVER = Set.of(
            "org.springframework.http.server.observation.ServerRequestObservationContext",
            "org.springframework.http.server.reactive.observation.ServerRequestObservationContext");

    static final Set<String> CLIENT = Set.of(
            "org.springframework.http.client.observation.ClientRequestObservationContext",
            "org.springframework.web.reactive.function.client.ClientRequestObservationContext");

    static final Set<String> KAFKA = Set.of(
            "org.springframework.kafka.support.micrometer.KafkaRecordSenderContext",
            "org.springframework.kafka.support.micrometer.KafkaRecordReceiverContext");

    static final Set<String> GRPC_SERVER = Set.of("io.micrometer.core.instrument.binder.grpc.GrpcServerObservationContext");

    static final Set<String> GRPC_CLIENT = Set.of("io.micrometer.core.instrument.binder.grpc.GrpcClientObservationContext");

    private final Set<String> contextTypes;

    private final ClassValue<Boolean> covered = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                if (contextTypes.contains(c.getName())) {
                    return Boolean.TRUE;
                }
            }
            return Boolean.FALSE;
        }
    };

    private InstrumentedExchanges(Set<String> contextTypes) {
        this.contextTypes = contextTypes;
    }

    /**
     * The exchanges traced natively: HTTP server requests when {@code server}, HTTP client
     * requests when {@code client}, Kafka records when {@code kafka}.
     */
    public static InstrumentedExchanges of(boolean server, boolean client, boolean kafka) {
        return of(server, client, kafka, false, false);
    }

    /**
     * The exchanges traced natively, as {@link #of(boolean, boolean, boolean)}, and gRPC server
     * and client calls when {@code grpcServer} and {@code grpcClient}.
     */
    public static InstrumentedExchanges of(boolean server, boolean client, boolean kafka, boolean grpcServer,
            boolean grpcClient) {
        Set<String> types = new HashSet<>();
        if (grpcServer) {
            types.addAll(GRPC_SERVER);
        }
        if (grpcClient) {
            types.addAll(GRPC_CLIENT);
        }
        if (server) {
            types.addAll(SERVER);
        }
        if (client) {
            types.addAll(CLIENT);
        }
        if (kafka) {
            types.addAll(KAFKA);
        }
        return new InstrumentedExchanges(Set.copyOf(types));
    }

    /** Whether this starter's instrumentation already traces the exchange {@code context} observes. */
    public boolean covers(Observation.Context context) {
        return covered.get(context.getClass());
    }

}
