package dev.tracing.instrument.grpc;

import java.util.concurrent.atomic.AtomicBoolean;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;

/**
 * A CLIENT span per call, a child of the span current when the call starts, its context written
 * into the call's metadata; ended once, when the call closes, with its status. The call's response
 * callbacks (an async stub's {@code StreamObserver}, on gRPC's executor) run in the context that
 * started the call, as with Brave's interceptor: their log lines and calls join the caller's trace.
 */
public final class TraceGrpcClientInterceptor implements ClientInterceptor {

    private final GrpcSpanPolicy policy;

    public TraceGrpcClientInterceptor(GrpcSpanPolicy policy) {
        this.policy = policy;
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
            CallOptions callOptions, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, callOptions)) {

            /** The call's CLIENT span once started: current while the call starts and sends. */
            private Span span;

            @Override
            public void start(Listener<RespT> responseListener, Metadata headers) {
                Span span;
                try {
                    span = policy.startClientSpan(method, next.authority(), headers);
                }
                catch (RuntimeException ex) {
                    // tracing never fails a call
                    super.start(responseListener, headers);
                    return;
                }
                AtomicBoolean ended = new AtomicBoolean();
                CurrentTraceContext current = policy.tracer().currentTraceContext();
                TraceContext invoking = current.context();
                Listener<RespT> traced = new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(
                        responseListener) {
                    @Override
                    public void onHeaders(Metadata headers) {
                        try (CurrentTraceContext.Scope scope = current.maybeScope(invoking)) {
                            super.onHeaders(headers);
                        }
                    }

                    @Override
                    public void onMessage(RespT message) {
                        try (CurrentTraceContext.Scope scope = current.maybeScope(invoking)) {
                            super.onMessage(message);
                        }
                    }

                    @Override
                    public void onReady() {
                        try (CurrentTraceContext.Scope scope = current.maybeScope(invoking)) {
                            super.onReady();
                        }
                    }

                    @Override
                    public void onClose(Status status, Metadata trailers) {
                        if (ended.compareAndSet(false, true)) {
                            policy.endSpan(span, status, null, false);
                        }
                        try (CurrentTraceContext.Scope scope = current.maybeScope(invoking)) {
                            super.onClose(status, trailers);
                        }
                    }
                };
                this.span = span;
                // interceptors after this one see the CLIENT span as the current one, as Brave's do
                try (CurrentTraceContext.Scope scope = current.maybeScope(span.context())) {
                    super.start(traced, headers);
                }
                catch (RuntimeException | Error ex) {
                    if (ended.compareAndSet(false, true)) {
                        policy.endSpan(span, Status.fromThrowable(ex), ex, false);
                    }
                    throw ex;
                }
            }

            @Override
            public void sendMessage(ReqT message) {
                Span started = span;
                if (started == null) {
                    super.sendMessage(message);
                    return;
                }
                try (CurrentTraceContext.Scope scope = policy.tracer().currentTraceContext()
                    .maybeScope(started.context())) {
                    super.sendMessage(message);
                }
            }

        };
    }

}
