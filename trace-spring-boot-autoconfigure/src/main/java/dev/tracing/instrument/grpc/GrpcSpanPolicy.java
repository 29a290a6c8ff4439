package dev.tracing.instrument.grpc;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import dev.tracing.internal.TraceHeaderNames;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;

/**
 * What a gRPC call's span holds, for the server and the client interceptors alike: named
 * {@code package.Service/Method}, tagged with OpenTelemetry's RPC conventions ({@code rpc.system},
 * {@code rpc.service}, {@code rpc.method}, {@code rpc.grpc.status_code}, the addresses), and an
 * error for a status other than OK (its cause, or its code and description; never a message's
 * payload). Trace context travels in ASCII metadata only: a {@code -bin} key is never read as trace
 * context, nor written.
 */
public final class GrpcSpanPolicy {

    static final Propagator.Getter<Metadata> GETTER = new Propagator.Getter<>() {

        @Override
        public String get(Metadata metadata, String key) {
            Metadata.Key<String> name = asciiKey(metadata, key);
            return name != null ? metadata.get(name) : null;
        }

        /** Every value of a key sent more than once (two {@code tracestate} or {@code baggage} entries), in order. */
        @Override
        public Iterable<String> getAll(Metadata metadata, String key) {
            Metadata.Key<String> name = asciiKey(metadata, key);
            Iterable<String> values = name != null ? metadata.getAll(name) : null;
            return values != null ? values : List.of();
        }

        private static Metadata.Key<String> asciiKey(Metadata metadata, String key) {
            if (metadata == null || key == null || key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                return null;
            }
            try {
                return Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER);
            }
            catch (IllegalArgumentException ex) {
                return null;
            }
        }

    };

    /** Sets an entry in place of any of that name, as HTTP's setters do (forwarded metadata keeps its own). */
    static final Propagator.Setter<Metadata> SETTER = (metadata, key, value) -> {
        if (metadata != null && key != null && value != null && !key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
            Metadata.Key<String> name = Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER);
            metadata.removeAll(name);
            metadata.put(name, value);
        }
    };

    private final Tracer tracer;

    private final Propagator propagator;

    /**
     * Removed from outgoing metadata before ours are written: our header names, and the trace headers
     * of every format we know, which a gateway passing on the metadata it received would forward.
     */
    private final List<Metadata.Key<String>> replacedKeys;

    public GrpcSpanPolicy(Tracer tracer, Propagator propagator) {
        this.tracer = tracer;
        this.propagator = propagator;
        List<Metadata.Key<String>> keys = new ArrayList<>();
        for (String name : TraceHeaderNames.replacedBy(propagator.fields())) {
            if (!name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                keys.add(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER));
            }
        }
        this.replacedKeys = List.copyOf(keys);
    }

    Tracer tracer() {
        return tracer;
    }

    /** Starts the SERVER span of a call: a child of the context in {@code headers}, else a new trace. */
    Span startServerSpan(MethodDescriptor<?, ?> method, Metadata headers, SocketAddress local, SocketAddress remote) {
        Span span = propagator.extract(headers, GETTER)
            .kind(Span.Kind.SERVER)
            .name(method.getFullMethodName())
            .start();
        if (!span.isNoop()) {
            tagMethod(span, method);
            if (local instanceof InetSocketAddress address) {
                span.tag("server.address", address.getHostString());
                span.tag("server.port", String.valueOf(address.getPort()));
            }
            if (remote instanceof InetSocketAddress address) {
                span.tag("client.address", address.getHostString());
            }
        }
        return span;
    }

    /**
     * Starts the CLIENT span of a call, a child of the current span, and writes its context into
     * {@code headers} in place of any of our header names already there.
     */
    Span startClientSpan(MethodDescriptor<?, ?> method, String authority, Metadata headers) {
        Span span = tracer.spanBuilder().kind(Span.Kind.CLIENT).name(method.getFullMethodName()).start();
        if (!span.isNoop()) {
            tagMethod(span, method);
            tagAuthority(span, authority);
        }
        try {
            for (Metadata.Key<String> key : replacedKeys) {
                headers.removeAll(key);
            }
            propagator.inject(span.context(), headers, SETTER);
        }
        catch (RuntimeException ex) {
            // the call goes without our headers, still traced here
        }
        return span;
    }

    /**
     * The codes that make a SERVER span an error, per OpenTelemetry's RPC conventions; the others
     * (NOT_FOUND, INVALID_ARGUMENT, a client's CANCELLED, ...) are the caller's doing, as a 4xx is.
     */
    private static final Set<Status.Code> SERVER_ERRORS = EnumSet.of(Status.Code.UNKNOWN,
            Status.Code.DEADLINE_EXCEEDED, Status.Code.UNIMPLEMENTED, Status.Code.INTERNAL, Status.Code.UNAVAILABLE,
            Status.Code.DATA_LOSS);

    /**
     * Tags the status of a call that has closed, and its failure, then ends the span; never throws.
     * A CLIENT span is an error for any status but OK, a SERVER span for the codes OpenTelemetry
     * counts as server errors, and either for an exception the application threw.
     */
    void endSpan(Span span, Status status, Throwable failure, boolean server) {
        try {
            tagStatus(span, status, failure, server);
        }
        catch (RuntimeException ex) {
            // tracing never fails a call
        }
        try {
            span.end();
        }
        catch (RuntimeException ex) {
            // idem
        }
    }

    private static void tagStatus(Span span, Status status, Throwable failure, boolean server) {
        if (!span.isNoop()) {
            span.tag("rpc.grpc.status_code", String.valueOf(status.getCode().value()));
            boolean error = failure != null || (server ? SERVER_ERRORS.contains(status.getCode()) : !status.isOk());
            Throwable cause = failure != null ? failure : status.getCause();
            if (!error) {
                return;
            }
            if (cause != null) {
                span.error(cause);
            }
            else {
                String description = status.getDescription();
                span.tag("error", description == null || description.isEmpty() ? status.getCode().name()
                        : status.getCode().name() + ": " + description);
            }
        }
    }

    private static void tagMethod(Span span, MethodDescriptor<?, ?> method) {
        span.tag("rpc.system", "grpc");
        String service = method.getServiceName();
        if (service != null) {
            span.tag("rpc.service", service);
        }
        String bare = method.getBareMethodName();
        if (bare != null) {
            span.tag("rpc.method", bare);
        }
    }

    private static void tagAuthority(Span span, String authority) {
        if (authority == null || authority.isEmpty()) {
            return;
        }
        int colon = authority.lastIndexOf(':');
        if (colon > 0 && colon < authority.length() - 1 && authority.indexOf(']', colon) < 0) {
            span.tag("server.address", authority.substring(0, colon));
            span.tag("server.port", authority.substring(colon + 1));
        }
        else {
            span.tag("server.address", authority);
        }
    }

}
