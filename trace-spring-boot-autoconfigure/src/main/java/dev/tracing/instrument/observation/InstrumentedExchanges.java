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
 * <p>An HTTP client request is covered only when it comes from a client our instrumentation is
 * on: the clients Spring Boot's builders make carry the {@link #TRACED_ATTRIBUTE} request
 * attribute, which the same customizers that add our interceptor and filter set. A client built
 * by hand with an {@code ObservationRegistry} lacks both, so its Observation makes the CLIENT span
 * and writes the trace headers ({@link HttpClientObservationSpanHandler}).
 *
 * <p>Design notes: matched by class name, so no Spring Web or Spring Kafka class has to be on
 * the classpath; the answer per context class is cached in a {@link ClassValue}, so the check
 * on each Observation start is one lookup (plus one attribute lookup for a client request).
 */
public final class InstrumentedExchanges {

    /** Request attribute that marks a client request our own instrumentation traces. */
    public static final String TRACED_ATTRIBUTE = InstrumentedExchanges.class.getName() + ".traced";

    private static final String BLOCKING_CLIENT = "org.springframework.http.client.observation.ClientRequestObservationContext";

    private static final String REACTIVE_CLIENT = "org.springframework.web.reactive.function.client.ClientRequestObservationContext";

    private static final String KAFKA_SEND = "org.springframework.kafka.support.micrometer.KafkaRecordSenderContext";

    private static final String KAFKA_RECEIVE = "org.springframework.kafka.support.micrometer.KafkaRecordReceiverContext";

    static final Set<String> SERVER = Set.of(
            "org.springframework.http.server.observation.ServerRequestObservationContext",
            "org.springframework.http.server.reactive.observation.ServerRequestObservationContext");

    static final Set<String> CLIENT = Set.of(BLOCKING_CLIENT, REACTIVE_CLIENT);

    static final Set<String> KAFKA = Set.of(KAFKA_SEND, KAFKA_RECEIVE);

    static final Set<String> GRPC_SERVER = Set.of("io.micrometer.core.instrument.binder.grpc.GrpcServerObservationContext");

    static final Set<String> GRPC_CLIENT = Set.of("io.micrometer.core.instrument.binder.grpc.GrpcClientObservationContext");

    /** Set on a listener container's consumer thread while our interceptor traces its records. */
    private static final ThreadLocal<Boolean> TRACED_LISTENER_THREAD = new ThreadLocal<>();

    /** Per context class: which exchange with rules of its own it observes, whatever is switched on. */
    private static final ClassValue<Exchange> EXCHANGE = new ClassValue<>() {
        @Override
        protected Exchange computeValue(Class<?> type) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                switch (c.getName()) {
                    case BLOCKING_CLIENT:
                        return Exchange.BLOCKING_CLIENT;
                    case REACTIVE_CLIENT:
                        return Exchange.REACTIVE_CLIENT;
                    case KAFKA_SEND:
                        return Exchange.KAFKA_SEND;
                    case KAFKA_RECEIVE:
                        return Exchange.KAFKA_RECEIVE;
                    default:
                        break;
                }
            }
            return Exchange.NONE;
        }
    };

    private final Set<String> contextTypes;

    /** Per context class: whether its exchanges are ours (client requests and records: see {@link #covers}). */
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

    /**
     * Whether this starter's instrumentation already traces the exchange {@code context} observes.
     * A client request is ours when it is marked ({@link #TRACED_ATTRIBUTE}); a received record when
     * our listener interceptor is on the container polling it ({@link #tracedListenerThread}); a
     * sent record never, as Spring's Observation starts before the template picks its producer:
     * {@code KafkaObservationSpanHandler} makes its span, and our producer adopts it.
     */
    public boolean covers(Observation.Context context) {
        if (!covered.get(context.getClass())) {
            return false;
        }
        return switch (EXCHANGE.get(context.getClass())) {
            case BLOCKING_CLIENT -> ClientMarks.blocking(context);
            case REACTIVE_CLIENT -> ClientMarks.reactive(context);
            case KAFKA_SEND -> false;
            case KAFKA_RECEIVE -> ListenerMark.covered(context);
            default -> true;
        };
    }

    /**
     * Whether a handler of this starter made for {@code context}'s kind of exchange gives it its
     * span when our instrumentation does not ({@link #covers}): HTTP client requests always, Kafka
     * records when Kafka tracing is on. Micrometer's generic sender and receiver handlers leave
     * these alone.
     */
    public boolean hasOwnHandler(Observation.Context context) {
        return switch (EXCHANGE.get(context.getClass())) {
            case BLOCKING_CLIENT, REACTIVE_CLIENT -> true;
            case KAFKA_SEND, KAFKA_RECEIVE -> covered.get(context.getClass());
            default -> false;
        };
    }

    /**
     * Called by our listener interceptor when a container's consumer thread starts ({@code true})
     * and ends ({@code false}) a poll: the records it receives meanwhile are ours to trace.
     */
    public static void tracedListenerThread(boolean traced) {
        if (traced) {
            TRACED_LISTENER_THREAD.set(Boolean.TRUE);
        }
        else {
            TRACED_LISTENER_THREAD.remove();
        }
    }

    /** The kind of HTTP client request {@code context} observes, or null when it is no client request. */
    static HttpClientKind kindOf(Observation.Context context) {
        return switch (EXCHANGE.get(context.getClass())) {
            case BLOCKING_CLIENT -> HttpClientKind.BLOCKING;
            case REACTIVE_CLIENT -> HttpClientKind.REACTIVE;
            default -> null;
        };
    }

    /** Spring's two HTTP client Observations. */
    enum HttpClientKind {

        /** RestClient and RestTemplate. */
        BLOCKING,

        /** WebClient. */
        REACTIVE

    }

    private enum Exchange {

        NONE, BLOCKING_CLIENT, REACTIVE_CLIENT, KAFKA_SEND, KAFKA_RECEIVE

    }

    /**
     * Whether a record's Observation is ours, decided once, when it is first asked (as the
     * Observation is created, on the consumer thread inside the poll): a group of handlers asks on
     * every event, and an async listener's result completes on another thread.
     */
    private static final class ListenerMark {

        static boolean covered(Observation.Context context) {
            Boolean known = context.get(ListenerMark.class);
            if (known == null) {
                known = TRACED_LISTENER_THREAD.get() != null;
                context.put(ListenerMark.class, known);
            }
            return known;
        }

    }

    /** Reads the mark; loaded only once a client Observation exists, so its classes are present. */
    private static final class ClientMarks {

        static boolean blocking(Observation.Context context) {
            org.springframework.http.client.ClientHttpRequest request =
                    ((org.springframework.http.client.observation.ClientRequestObservationContext) context).getCarrier();
            return request != null && request.getAttributes().get(TRACED_ATTRIBUTE) != null;
        }

        static boolean reactive(Observation.Context context) {
            // the builder lends its attributes only to a callback: read them once per Observation, as
            // every handler asks on every event
            Boolean known = context.get(ClientMarks.class);
            if (known != null) {
                return known;
            }
            org.springframework.web.reactive.function.client.ClientRequest.Builder request =
                    ((org.springframework.web.reactive.function.client.ClientRequestObservationContext) context)
                        .getCarrier();
            boolean[] marked = new boolean[1];
            if (request != null) {
                request.attributes(attributes -> marked[0] = attributes.get(TRACED_ATTRIBUTE) != null);
            }
            context.put(ClientMarks.class, marked[0]);
            return marked[0];
        }

    }

}
