package dev.tracing.instrument.grpc;

import io.grpc.Context;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;

/**
 * Tells {@link TraceGrpcServerInterceptor} the status each call's stream closed with, for calls
 * grpc-java ends without passing the interceptor's {@code ServerCall}: a request larger than the
 * server's inbound limit ({@code RESOURCE_EXHAUSTED}, seen by the interceptor as a cancel), one
 * that cannot be parsed ({@code UNKNOWN}) or a response that cannot be written ({@code INTERNAL}),
 * both seen as a completion. Without it, such a span says {@code CANCELLED} or {@code OK}; the
 * client got the stream's status. (On a cancel the interceptor takes only the codes grpc-java
 * refuses a request with: a connection that goes away under a call stays a client's cancel, even
 * where the transport closes its streams {@code UNAVAILABLE}.)
 *
 * <p>Design notes: the transport calls {@link ServerStreamTracer#streamClosed} before it hands the
 * close to the call's listener on the call's executor, so the status is there when the
 * interceptor ends the span; the tracer rides in the call's gRPC {@link Context}, which the
 * interceptor reads as the call starts.
 */
public final class TraceGrpcServerStreamTracerFactory extends ServerStreamTracer.Factory {

    /** The call's closing status, in the call's context. */
    static final Context.Key<ClosedStatus> CLOSED_STATUS = Context.key("dev.tracing.grpc.closed-status");

    @Override
    public ServerStreamTracer newServerStreamTracer(String fullMethodName, io.grpc.Metadata headers) {
        return new ClosedStatus();
    }

    /** The status a call's stream closed with, once it has. */
    static final class ClosedStatus extends ServerStreamTracer {

        private volatile Status status;

        @Override
        public Context filterContext(Context context) {
            return context.withValue(CLOSED_STATUS, this);
        }

        @Override
        public void streamClosed(Status status) {
            this.status = status;
        }

        /** The status the stream closed with, or null before it closed. */
        Status status() {
            return status;
        }

    }

}
