package dev.tracing.instrument.grpc;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;

/**
 * A SERVER span per call: started when the call arrives, current (thread-local and MDC) in every
 * callback of the call's listener, so while the service method runs on gRPC's executor, whether
 * unary or streaming; ended once, when the call closes (with its status), or when the client
 * cancels it or its deadline passes ({@code CANCELLED} or {@code DEADLINE_EXCEEDED}, what the
 * client got).
 */
public final class TraceGrpcServerInterceptor implements ServerInterceptor {

    /**
     * The metadata of the call this interceptor is starting, on this thread: registered twice (on the
     * server builder and among the services' global interceptors, for a server factory of the
     * application's that does not apply the builder customizers), the inner registration passes that
     * call on untouched. By the call's own metadata object, not a flag: another call started on this
     * thread meanwhile (an in-process call on a direct executor) is traced as any.
     */
    private static final ThreadLocal<Metadata> starting = new ThreadLocal<>();

    /** The codes grpc-java cancels a call's stream with when it refuses the request itself. */
    private static final java.util.Set<Status.Code> REFUSED_BY_GRPC = java.util.EnumSet.of(
            Status.Code.RESOURCE_EXHAUSTED, Status.Code.INTERNAL, Status.Code.UNKNOWN);

    private final GrpcSpanPolicy policy;

    public TraceGrpcServerInterceptor(GrpcSpanPolicy policy) {
        this.policy = policy;
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
            ServerCallHandler<ReqT, RespT> next) {
        if (starting.get() == headers) {
            // the same call, inside this interceptor's other registration
            return next.startCall(call, headers);
        }
        Span span;
        try {
            span = policy.startServerSpan(call.getMethodDescriptor(), headers,
                    call.getAttributes().get(Grpc.TRANSPORT_ATTR_LOCAL_ADDR),
                    call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
        }
        catch (RuntimeException ex) {
            // tracing never fails a call
            return next.startCall(call, headers);
        }
        Tracer tracer = policy.tracer();
        // grpc-java starts the call in its own context, which carries the client's deadline
        Cancellation cancellation = Cancellation.of(Context.current());
        // where the server has our stream tracer: the status grpc-java closed the stream with
        TraceGrpcServerStreamTracerFactory.ClosedStatus closed = TraceGrpcServerStreamTracerFactory.CLOSED_STATUS.get();
        AtomicBoolean ended = new AtomicBoolean();
        ServerCall<ReqT, RespT> traced = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {

            /** Responses sent so far; the call's methods are called one at a time. */
            private int sent;

            @Override
            public void sendMessage(RespT message) {
                sent++;
                super.sendMessage(message);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                if (ended.compareAndSet(false, true)) {
                    policy.endSpan(span, statusSent(status), null, true);
                }
                super.close(status, trailers);
            }

            /**
             * What the client gets for an OK close: nothing when it cancelled or its deadline passed while
             * the method ran (grpc-java tells the listener only after the method returned), and INTERNAL
             * from grpc-java when a method of one response sent none or several.
             */
            private Status statusSent(Status status) {
                if (!status.isOk()) {
                    return status;
                }
                if (isCancelled()) {
                    return cancellation.status();
                }
                if (getMethodDescriptor().getType().serverSendsOneMessage() && sent != 1) {
                    return Status.INTERNAL.withDescription(sent == 0 ? "Completed without a response"
                            : "Too many responses");
                }
                return status;
            }

        };
        ServerCall.Listener<ReqT> listener;
        Metadata outer = starting.get();
        starting.set(headers);
        try (Tracer.SpanInScope scope = tracer.withSpan(span)) {
            listener = next.startCall(traced, headers);
        }
        catch (RuntimeException | Error ex) {
            if (ended.compareAndSet(false, true)) {
                policy.endSpan(span, Status.fromThrowable(ex), ex, true);
            }
            throw ex;
        }
        finally {
            if (outer != null) {
                starting.set(outer);
            }
            else {
                starting.remove();
            }
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {

            @Override
            public void onMessage(ReqT message) {
                try (Tracer.SpanInScope scope = tracer.withSpan(span)) {
                    super.onMessage(message);
                }
                catch (RuntimeException | Error ex) {
                    failed(ex);
                    throw ex;
                }
            }

            @Override
            public void onHalfClose() {
                try (Tracer.SpanInScope scope = tracer.withSpan(span)) {
                    super.onHalfClose();
                }
                catch (RuntimeException | Error ex) {
                    failed(ex);
                    throw ex;
                }
            }

            /**
             * The service threw and no interceptor inside this one answered it (Spring gRPC's exception
             * handler closes the call through this interceptor's call instead): grpc-java closes the call
             * with a status from the exception, outside this interceptor; the span ends now, with the
             * exception itself.
             */
            private void failed(Throwable ex) {
                if (ended.compareAndSet(false, true)) {
                    policy.endSpan(span, Status.fromThrowable(ex), ex, true);
                }
            }

            @Override
            public void onCancel() {
                try (Tracer.SpanInScope scope = tracer.withSpan(span)) {
                    super.onCancel();
                }
                finally {
                    // the client cancelled or the deadline passed, or an interceptor before ours closed
                    // the call with an error on its own wrapper, or grpc-java failed the request itself (one
                    // over the inbound limit, one it could not read): the client got that status. A connection
                    // that went away under the call (UNAVAILABLE) is the client's doing, as a cancel
                    if (ended.compareAndSet(false, true)) {
                        Status status = closedWith(closed);
                        policy.endSpan(span, status != null && REFUSED_BY_GRPC.contains(status.getCode()) ? status
                                : cancellation.status(), null, true);
                    }
                }
            }

            @Override
            public void onComplete() {
                try (Tracer.SpanInScope scope = tracer.withSpan(span)) {
                    super.onComplete();
                }
                finally {
                    // an interceptor before ours closed the call OK on its own wrapper, or grpc-java closed the
                    // stream itself (a request it could not parse, a response it could not write)
                    if (ended.compareAndSet(false, true)) {
                        Status status = closedWith(closed);
                        policy.endSpan(span, status != null ? status : Status.OK, null, true);
                    }
                }
            }

            @Override
            public void onReady() {
                try (Tracer.SpanInScope scope = tracer.withSpan(span)) {
                    super.onReady();
                }
                catch (RuntimeException | Error ex) {
                    // a stream's readiness handler (flow control) threw: the call fails as from the other callbacks
                    failed(ex);
                    throw ex;
                }
            }

        };
    }

    /**
     * What the client got for a call cancelled under the method, decided when the cancel comes, not
     * when the span ends (a method may outlive the deadline of a call its client cancelled long
     * before): {@code DEADLINE_EXCEEDED} when the call's deadline passed or was within a margin of
     * passing (the client's deadline is the server's copy less the request's way over the network,
     * so the client's reset often comes first), else {@code CANCELLED}. The margin is
     * {@link #DEADLINE_MARGIN_NANOS}, or a tenth of the call's time where that is less: a client of
     * an 80 ms deadline that cancels after 5 ms cancelled.
     */
    private static final class Cancellation implements Context.CancellationListener {

        static final long DEADLINE_MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

        /** A call without a deadline: only its client cancels it. */
        private static final Cancellation NO_DEADLINE = new Cancellation(null);

        private final Deadline deadline;

        private final long marginNanos;

        private volatile Status status;

        private Cancellation(Deadline deadline) {
            this.deadline = deadline;
            this.marginNanos = deadline == null ? 0
                    : Math.min(DEADLINE_MARGIN_NANOS, Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS) / 10));
        }

        static Cancellation of(Context call) {
            Deadline deadline = call.getDeadline();
            if (deadline == null) {
                return NO_DEADLINE;
            }
            Cancellation cancellation = new Cancellation(deadline);
            call.addListener(cancellation, Runnable::run);
            return cancellation;
        }

        @Override
        public void cancelled(Context context) {
            if (status == null) {
                status = context.cancellationCause() instanceof TimeoutException ? Status.DEADLINE_EXCEEDED : now();
            }
        }

        Status status() {
            Status decided = status;
            return decided != null ? decided : now();
        }

        private Status now() {
            return deadline != null && deadline.timeRemaining(TimeUnit.NANOSECONDS) <= marginNanos
                    ? Status.DEADLINE_EXCEEDED : Status.CANCELLED;
        }

    }

    /** The status the call's stream closed with, where the server has our stream tracer; else null. */
    private static Status closedWith(TraceGrpcServerStreamTracerFactory.ClosedStatus closed) {
        return closed != null ? closed.status() : null;
    }

}
