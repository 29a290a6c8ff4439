package dev.tracing.instrument.kafka;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import dev.tracing.context.TraceContextThreadLocalAccessor;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import reactor.core.publisher.Mono;

import org.springframework.kafka.listener.adapter.HandlerAdapter;
import org.springframework.kafka.listener.adapter.InvocationResult;
import org.springframework.messaging.Message;
import org.springframework.messaging.handler.invocation.InvocableHandlerMethod;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Wraps the handler of a listener method, so that an {@code Error} it throws (which makes Spring
 * Kafka stop the container without telling any interceptor) ends the CONSUMER span with it, an
 * exception it throws is the span's error even when the listener's {@code KafkaListenerErrorHandler}
 * takes it as handled (the container then reports a success), and so
 * that, for a method that returns a {@code CompletableFuture} or a {@code Mono}, the CONSUMER span
 * of the record (or batch) ends when that result completes, with its error, instead of when the
 * method returns:
 * <ul>
 * <li>a {@code CompletableFuture} is handed to Spring Kafka as a future of our own that completes
 * with it, on the thread that completed it, inside the span's scope; so the reply Spring Kafka
 * sends and the error it logs join the trace, and the span ends after them;</li>
 * <li>a {@code Mono} carries the span's context in its Reactor Context, so a {@code WebClient} or
 * {@code KafkaTemplate} call inside it is the span's child, and, with
 * {@code trace.reactor.context-propagation=auto}, so do its log lines; it is then subscribed to as
 * Spring Kafka would, and handed over as a future as above.</li>
 * </ul>
 * Every call delegates to the handler it wraps; a result that is not async, or that arrives on a
 * thread with no span of ours, is returned as it is.
 *
 * <p>Design notes: Spring Kafka gives a listener's result to no interceptor, and its
 * {@code MessageHandlerMethodFactory} can only be replaced, not wrapped, when the application has
 * not set one (its default is built privately, with the application's converters); so the handler
 * is wrapped here, where the result passes. A {@code Mono} becomes a future here rather than in
 * Spring Kafka, a few statements earlier on the same thread, so that its completion runs inside
 * the span's scope wherever Reactor delivers it. A result that never completes never ends its
 * span: nothing of ours holds it, so it is collected with the result and never reported.
 */
final class TraceHandlerAdapter extends HandlerAdapter {

    private static final boolean REACTOR_PRESENT = ClassUtils.isPresent("reactor.core.publisher.Mono",
            TraceHandlerAdapter.class.getClassLoader());

    private final HandlerAdapter delegate;

    private final KafkaSpanPolicy policy;

    TraceHandlerAdapter(HandlerAdapter delegate, KafkaSpanPolicy policy) {
        // the superclass needs a handler; every method that would use it is overridden
        super(new InvocableHandlerMethod(delegate, ReflectionUtils.findMethod(Object.class, "toString")));
        this.delegate = delegate;
        this.policy = policy;
    }

    @Override
    public Object invoke(Message<?> message, Object... providedArgs) throws Exception {
        Object result;
        try {
            result = delegate.invoke(message, providedArgs);
        }
        catch (Exception ex) {
            // the span's error, whatever comes of it: a KafkaListenerErrorHandler that takes it as handled makes
            // the container report a success, and the span ends then; an exception the container sees replaces it
            ListenerSpans spans = ListenerSpans.PerThread.current();
            if (spans != null) {
                spans.failed(ex);
            }
            throw ex;
        }
        catch (Error error) {
            // Spring Kafka stops the container and tells no interceptor: the span ends now, with it
            ListenerSpans spans = ListenerSpans.PerThread.current();
            if (spans != null) {
                spans.failed(error);
                spans.outcome();
            }
            throw error;
        }
        if (result == null) {
            return result;
        }
        ListenerSpans spans = ListenerSpans.PerThread.current();
        if (spans == null) {
            return result;
        }
        if (result instanceof InvocationResult invocation) {
            Object traced = traced(invocation.result(), spans);
            return traced == invocation.result() ? result
                    : new InvocationResult(traced, invocation.sendTo(), invocation.messageReturnType());
        }
        return traced(result, spans);
    }

    private Object traced(Object result, ListenerSpans spans) {
        try {
            if (result instanceof CompletableFuture<?> future) {
                return completion(future, spans);
            }
            if (REACTOR_PRESENT && result instanceof Mono<?> mono) {
                return completion(Reactor.subscribe(mono, spans.span()), spans);
            }
        }
        catch (RuntimeException ex) {
            policy.failed("following an async listener result", ex);
        }
        return result;
    }

    /** A future that completes with {@code future}, inside the span's scope, and then ends the span. */
    private CompletableFuture<Object> completion(CompletableFuture<?> future, ListenerSpans spans) {
        CompletableFuture<Object> traced = new CompletableFuture<>();
        Tracer tracer = policy.tracer();
        Span span = spans.span();
        spans.awaitCompletion();
        future.whenComplete((value, error) -> {
            try (Tracer.SpanInScope scope = tracer.withSpan(span)) {
                if (error != null) {
                    traced.completeExceptionally(error);
                }
                else {
                    traced.complete(value);
                }
            }
            finally {
                spans.completed(error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error);
            }
        });
        return traced;
    }

    @Override
    public boolean isAsyncReplies() {
        return delegate.isAsyncReplies();
    }

    @Override
    public String getMethodAsString(Object payload) {
        return delegate.getMethodAsString(payload);
    }

    @Override
    public Object getBean() {
        return delegate.getBean();
    }

    @Override
    public InvocationResult getInvocationResultFor(Object result, Object inboundPayload) {
        return delegate.getInvocationResultFor(result, inboundPayload);
    }

    /** What needs Reactor, apart, so this class loads without it. */
    private static final class Reactor {

        static CompletableFuture<?> subscribe(Mono<?> mono, Span span) {
            return mono.contextWrite(context -> context.put(TraceContextThreadLocalAccessor.KEY, span.context()))
                .toFuture();
        }

    }

}
