package dev.tracing.instrument.annotation;

import java.lang.reflect.Method;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

import dev.tracing.context.ReactorTracing;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.annotation.ContinueSpan;
import io.micrometer.tracing.annotation.MethodInvocationProcessor;
import io.micrometer.tracing.annotation.NewSpan;
import io.micrometer.tracing.annotation.NewSpanParser;
import io.micrometer.tracing.annotation.SpanTagAnnotationHandler;
import org.aopalliance.intercept.MethodInvocation;
import org.aspectj.lang.ProceedingJoinPoint;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.aop.ProxyMethodInvocation;
import org.springframework.aop.aspectj.MethodInvocationProceedingJoinPoint;
import org.springframework.aop.interceptor.ExposeInvocationInterceptor;
import org.springframework.util.ClassUtils;

/**
 * Micrometer's {@code @NewSpan} for methods whose work completes after they return: the span of a
 * method that returns a {@code CompletionStage} ends when the stage completes (with its failure),
 * and a method that returns a {@code Mono} or {@code Flux} gets a span for each subscription,
 * current for the subscriber's chain (its log lines and calls) and ended when the chain completes,
 * fails or is cancelled. Every other method, and {@code @ContinueSpan}, is left to
 * {@code delegate} (Micrometer's {@code ImperativeMethodInvocationProcessor}), which ends the span
 * when the method returns.
 *
 * <p>The span's name comes from the {@link NewSpanParser}, and its tags are Micrometer's:
 * {@code class}, {@code method} and the {@code @SpanTag} parameters. A method that throws before
 * it returns its stage or publisher gets its span with the error, as a synchronous one does.
 *
 * <p>Design notes: a {@code Mono}'s or {@code Flux}'s work happens when it is subscribed to,
 * possibly more than once (a retry) or never; a span per subscription never outlives its chain.
 * The method itself runs when called, outside that span, as it assembles the chain. The
 * {@code @SpanTag} handler reads the parameters from an AspectJ join point: Micrometer's aspect
 * hands this processor none, so one is made over the Spring AOP invocation the proxy exposes; where
 * none is exposed (compile-time weaving) the parameters are not tagged.
 */
public final class TraceMethodInvocationProcessor implements MethodInvocationProcessor {

    private static final boolean REACTOR = ClassUtils.isPresent("reactor.core.publisher.Mono",
            TraceMethodInvocationProcessor.class.getClassLoader());

    private final MethodInvocationProcessor delegate;

    private final NewSpanParser parser;

    private final Tracer tracer;

    private final SpanTagAnnotationHandler tags;

    public TraceMethodInvocationProcessor(MethodInvocationProcessor delegate, NewSpanParser parser, Tracer tracer,
            SpanTagAnnotationHandler tags) {
        this.delegate = delegate;
        this.parser = parser;
        this.tracer = tracer;
        this.tags = tags;
    }

    @Override
    public Object process(MethodInvocation invocation, NewSpan newSpan, ContinueSpan continueSpan) throws Throwable {
        if (newSpan == null) {
            return delegate.process(invocation, newSpan, continueSpan);
        }
        Class<?> returned = invocation.getMethod().getReturnType();
        if (CompletionStage.class.isAssignableFrom(returned)) {
            return untilComplete(invocation, newSpan);
        }
        if (REACTOR && Reactive.isPublisher(returned)) {
            return Reactive.perSubscription(this, invocation, newSpan);
        }
        return delegate.process(invocation, newSpan, continueSpan);
    }

    private Object untilComplete(MethodInvocation invocation, NewSpan newSpan) throws Throwable {
        Span span = tracer.nextSpan();
        ProceedingJoinPoint joinPoint = joinPoint();
        describe(span, invocation, newSpan, joinPoint);
        Object result;
        try (Tracer.SpanInScope scope = tracer.withSpan(span.start())) {
            result = invocation.proceed();
        }
        catch (Throwable ex) {
            span.error(ex).end();
            throw ex;
        }
        if (result instanceof CompletionStage<?> stage) {
            stage.whenComplete((value, failure) -> {
                if (failure != null) {
                    span.error(failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure);
                }
                span.end();
            });
        }
        else {
            span.end();
        }
        return result;
    }

    /** Runs the method, and gives the span of a method that threw its error; the method's result. */
    private Object proceedOrRecord(MethodInvocation invocation, NewSpan newSpan, ProceedingJoinPoint joinPoint)
            throws Throwable {
        try {
            return invocation.proceed();
        }
        catch (Throwable ex) {
            Span span = tracer.nextSpan();
            describe(span, invocation, newSpan, joinPoint);
            span.start().error(ex).end();
            throw ex;
        }
    }

    /** Names the span and tags it as Micrometer's processor does; never throws. */
    private void describe(Span span, MethodInvocation invocation, NewSpan newSpan, ProceedingJoinPoint joinPoint) {
        try {
            parser.parse(invocation, newSpan, span);
            Method method = invocation.getMethod();
            // the advised object, not the proxy Micrometer's aspect hands over as the invocation's
            Object target = joinPoint != null ? joinPoint.getTarget() : invocation.getThis();
            span.tag("class", (target != null ? ClassUtils.getUserClass(target) : method.getDeclaringClass())
                .getSimpleName());
            span.tag("method", method.getName());
            if (joinPoint != null) {
                tags.addAnnotatedParameters(span, joinPoint);
            }
        }
        catch (RuntimeException ex) {
            // a failing parser or tag expression costs the span its name or tags, never the call
        }
    }

    /** The join point of the proxy call being advised, or null where Spring AOP exposes none. */
    private static ProceedingJoinPoint joinPoint() {
        try {
            return ExposeInvocationInterceptor.currentInvocation() instanceof ProxyMethodInvocation invocation
                    ? new MethodInvocationProceedingJoinPoint(invocation) : null;
        }
        catch (IllegalStateException ex) {
            return null;
        }
    }

    /** The Reactor part; only loaded when Reactor is there. */
    private static final class Reactive {

        /**
         * Whether the method is declared to return a {@code Mono} or a {@code Flux}, not a subclass
         * ({@code ConnectableFlux}): what this processor returns in its place is neither.
         */
        static boolean isPublisher(Class<?> type) {
            return type == Mono.class || type == Flux.class;
        }

        static Object perSubscription(TraceMethodInvocationProcessor processor, MethodInvocation invocation,
                NewSpan newSpan) throws Throwable {
            ProceedingJoinPoint joinPoint = joinPoint();
            Object result = processor.proceedOrRecord(invocation, newSpan, joinPoint);
            if (result instanceof Mono<?> mono) {
                return traced(processor, invocation, newSpan, joinPoint, mono);
            }
            if (result instanceof Flux<?> flux) {
                return traced(processor, invocation, newSpan, joinPoint, flux);
            }
            return result;
        }

        private static <T> Mono<T> traced(TraceMethodInvocationProcessor processor, MethodInvocation invocation,
                NewSpan newSpan, ProceedingJoinPoint joinPoint, Mono<T> mono) {
            return ReactorTracing.inChildSpan(processor.tracer, invocation.getMethod().getName(), span -> {
                processor.describe(span, invocation, newSpan, joinPoint);
                return mono;
            });
        }

        private static <T> Flux<T> traced(TraceMethodInvocationProcessor processor, MethodInvocation invocation,
                NewSpan newSpan, ProceedingJoinPoint joinPoint, Flux<T> flux) {
            return ReactorTracing.inChildSpanFlux(processor.tracer, invocation.getMethod().getName(), span -> {
                processor.describe(span, invocation, newSpan, joinPoint);
                return flux;
            });
        }

    }

}
