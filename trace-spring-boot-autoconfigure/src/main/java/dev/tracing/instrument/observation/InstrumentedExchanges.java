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
 * and writes the trace headers, as without this starter.
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

    static final Set<String> SERVER = Set.of(
            "org.springframework.http.server.observation.ServerRequestObservationContext",
            "org.springframework.http.server.reactive.observation.ServerRequestObservationContext");

    static final Set<String> CLIENT = Set.of(BLOCKING_CLIENT, REACTIVE_CLIENT);

    static final Set<String> KAFKA = Set.of(
            "org.springframework.kafka.support.micrometer.KafkaRecordSenderContext",
            "org.springframework.kafka.support.micrometer.KafkaRecordReceiverContext");

    private final Set<String> contextTypes;

    /** Per context class: covered, not covered, or covered when the client request is marked. */
    private final ClassValue<Coverage> coverage = new ClassValue<>() {
        @Override
        protected Coverage computeValue(Class<?> type) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                if (contextTypes.contains(c.getName())) {
                    return switch (c.getName()) {
                        case BLOCKING_CLIENT -> Coverage.MARKED_BLOCKING_CLIENT;
                        case REACTIVE_CLIENT -> Coverage.MARKED_REACTIVE_CLIENT;
                        default -> Coverage.ALWAYS;
                    };
                }
            }
            return Coverage.NEVER;
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
        Set<String> types = new HashSet<>();
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
        return switch (coverage.get(context.getClass())) {
            case ALWAYS -> true;
            case NEVER -> false;
            case MARKED_BLOCKING_CLIENT -> ClientMarks.blocking(context);
            case MARKED_REACTIVE_CLIENT -> ClientMarks.reactive(context);
        };
    }

    private enum Coverage {

        ALWAYS, NEVER, MARKED_BLOCKING_CLIENT, MARKED_REACTIVE_CLIENT

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
