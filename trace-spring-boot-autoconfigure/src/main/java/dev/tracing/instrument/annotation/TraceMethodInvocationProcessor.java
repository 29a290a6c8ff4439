package dev.tracing.instrument.annotation;

import java.lang.reflect.Method;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import dev.tracing.context.ReactorTracing;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
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
import reactor.util.context.ContextView;

import org.springframework.aop.ProxyMethodInvocation;
import org.springframework.aop.aspectj.MethodInvocationProceedingJoinPoint;
import org.springframework.aop.interceptor.ExposeInvocationInterceptor;
import org.springframework.util.ClassUtils;

/**
 * Micrometer's {@code @NewSpan} and {@code @ContinueSpan} for methods whose work completes after
 * they return. With {@code @NewSpan}, the span of a method that returns a {@code CompletionStage}
 * ends when the stage completes (with its failure), and a method that returns a {@code Mono} or
 * {@code Flux} gets a span for each subscription, current for the subscriber's chain (its log lines
 * and calls) and ended when the chain completes, fails or is cancelled. With {@code @ContinueSpan},
 * the span continued is the one current when the stage's method is called, or, for a {@code Mono}
 * or {@code Flux}, the one in the subscriber's Reactor Context (else the thread's) at each
 * subscription; its {@code log} events come when the work starts and ends
 * ({@code <log>.before}, {@code <log>.afterFailure}, {@code <log>.after}), and the work's failure
 * is recorded on it; where there is no span to continue, the method gets a new one, as with
 * {@code @NewSpan}. Every other method is left to {@code delegate} (Micrometer's
 * {@code ImperativeMethodInvocationProcessor}), which ends the span, or writes the events, when
 * the method returns.
 *
 * <p>The span's name comes from the {@link NewSpanParser}, and its tags are Micrometer's:
 * {@code class}, {@code method} and the {@code @SpanTag} parameters. A method that throws before
 * it returns its stage or publisher gets its span (or the continued one) with the error, as a
 * synchronous one does.
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
        if (newSpan == null && continueSpan == null) {
            return delegate.process(invocation, newSpan, continueSpan);
        }
        Class<?> returned = invocation.getMethod().getReturnType();
        if (CompletionStage.class.isAssignableFrom(returned)) {
            Span current = newSpan == null ? tracer.currentSpan() : null;
            return current != null ? continueUntilComplete(invocation, continueSpan, current)
                    : untilComplete(invocation, newSpan, continueSpan);
        }
        if (REACTOR && Reactive.isPublisher(returned)) {
            return newSpan != null ? Reactive.perSubscription(this, invocation, newSpan)
                    : Reactive.continuedPerSubscription(this, invocation, continueSpan);
        }
        return delegate.process(invocation, newSpan, continueSpan);
    }

    /** {@code @ContinueSpan} on a method that returns a stage: {@code span}'s events come as the stage's work does. */
    private Object continueUntilComplete(MethodInvocation invocation, ContinueSpan continueSpan, Span span)
            throws Throwable {
        Continued continued = new Continued(span, continueSpan.log());
        continued.begin();
        tag(span, invocation, joinPoint());
        return proceedUntilDone(invocation, continued::done);
    }

    /**
     * {@code @NewSpan} on a method that returns a stage, or {@code @ContinueSpan} with no span to continue
     * (the new span then gets its {@code log} events, as Micrometer's processor writes them): a span that
     * ends when the stage's work does.
     */
    private Object untilComplete(MethodInvocation invocation, NewSpan newSpan, ContinueSpan continueSpan)
            throws Throwable {
        Span span = tracer.nextSpan();
        describe(span, invocation, newSpan, joinPoint());
        Continued continued = new Continued(span, continueSpan != null ? continueSpan.log() : null);
        try (Tracer.SpanInScope scope = tracer.withSpan(span.start())) {
            continued.begin();
            return proceedUntilDone(invocation, failure -> {
                continued.done(failure);
                span.end();
            });
        }
    }

    /**
     * Runs the method, and {@code done} with what it threw, or once the stage it returned completes with
     * its failure or null ({@link #whenDone}); returns what the caller gets.
     */
    private static Object proceedUntilDone(MethodInvocation invocation, Consumer<Throwable> done) throws Throwable {
        Object result;
        try {
            result = invocation.proceed();
        }
        catch (Throwable ex) {
            done.accept(ex);
            throw ex;
        }
        if (result instanceof CompletionStage<?> stage) {
            return whenDone(stage, invocation.getMethod().getReturnType(), done);
        }
        done.accept(null);
        return result;
    }

    /**
     * Runs {@code done} with the stage's failure ({@code CompletionException} unwrapped), or null, once
     * {@code stage} completes, and returns what the caller gets. A {@code CompletableFuture} runs the
     * callbacks it holds newest first, so {@code done}, added before the caller's, would run after them:
     * after a caller's callback that ends the span {@code done} writes to (the caller's own, or the
     * request's once Spring has written the response), and after a waiter has woken. So where the method
     * is declared to return {@code CompletableFuture} or {@code CompletionStage} and returned a plain
     * {@code CompletableFuture} (or one of these), the caller gets a future that completes as that one
     * does, after {@code done} ran (completing or cancelling it completes or cancels that one). Any other
     * stage is returned as it is: a subclass may refuse to be completed ({@code minimalCompletionStage()}).
     */
    private static Object whenDone(CompletionStage<?> stage, Class<?> declared, Consumer<Throwable> done) {
        if (stage instanceof CompletableFuture<?> future
                && (future.getClass() == CompletableFuture.class || future instanceof RecordedFuture<?>)
                && (declared == CompletableFuture.class || declared == CompletionStage.class)) {
            return RecordedFuture.after(future, done);
        }
        stage.whenComplete((value, failure) -> done.accept(unwrapped(failure)));
        return stage;
    }

    private static Throwable unwrapped(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    /**
     * A future that completes as its source does, once the span has recorded the outcome; completing or
     * cancelling it completes or cancels the source (obtruding a value does not).
     */
    private static final class RecordedFuture<T> extends CompletableFuture<T> {

        private final CompletableFuture<T> source;

        private RecordedFuture(CompletableFuture<T> source) {
            this.source = source;
        }

        static <T> CompletableFuture<T> after(CompletableFuture<T> source, Consumer<Throwable> done) {
            RecordedFuture<T> recorded = new RecordedFuture<>(source);
            source.whenComplete((value, failure) -> {
                try {
                    done.accept(unwrapped(failure));
                }
                catch (RuntimeException ex) {
                    // tracing never fails the caller's future
                }
                finally {
                    // even after an Error: the caller's future completes
                    if (failure != null) {
                        recorded.superCompleteExceptionally(failure);
                    }
                    else {
                        recorded.superComplete(value);
                    }
                }
            });
            return recorded;
        }

        private void superComplete(T value) {
            super.complete(value);
        }

        private void superCompleteExceptionally(Throwable failure) {
            super.completeExceptionally(failure);
        }

        /**
         * Completes the method's future, which completes this one once the span has recorded it: what
         * completing the method's own future did ({@code orTimeout} and {@code completeOnTimeout} come here).
         */
        @Override
        public boolean complete(T value) {
            return source.complete(value);
        }

        @Override
        public boolean completeExceptionally(Throwable failure) {
            return source.completeExceptionally(failure);
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return source.cancel(mayInterruptIfRunning) || isCancelled();
        }

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
        }
        catch (RuntimeException ex) {
            // a failing parser costs the span its name, never the call
        }
        tag(span, invocation, joinPoint);
    }

    /** Tags the span as Micrometer's processor does; never throws. */
    private void tag(Span span, MethodInvocation invocation, ProceedingJoinPoint joinPoint) {
        try {
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
            // a failing tag expression costs the span its tags, never the call
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

    /**
     * What a method's work records on its span: the {@code log} events Micrometer's processor writes for
     * {@code @ContinueSpan} ({@code <log>.before}, {@code <log>.afterFailure}, {@code <log>.after}; none
     * without a {@code log}) and the failure.
     */
    private final class Continued {

        private final Span span;

        private final String log;

        private final AtomicBoolean ended = new AtomicBoolean();

        /** Whether {@link #failed} records the error: not on a span whose own operator records it. */
        private final boolean recordsError;

        Continued(Span span, String log) {
            this(span, log, true);
        }

        Continued(Span span, String log, boolean recordsError) {
            this.span = span;
            this.log = log != null && !log.isBlank() ? log : null;
            this.recordsError = recordsError;
        }

        void begin() {
            event("%s.before");
        }

        /** The work ended, with {@code failure} or null. */
        void done(Throwable failure) {
            if (failure != null) {
                failed(failure);
            }
            after();
        }

        void failed(Throwable failure) {
            event("%s.afterFailure");
            if (recordsError) {
                span.error(failure);
            }
        }

        /** Once: a {@code Mono} an operator cancels after its value (a {@code next()}) signals both. */
        void after() {
            if (!ended.getAndSet(true)) {
                event("%s.after");
            }
        }

        private void event(String format) {
            if (log != null) {
                span.event(String.format(format, log));
            }
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

        /**
         * {@code @ContinueSpan} on a method declared to return a {@code Mono} or {@code Flux}: at each
         * subscription, the span in the subscriber's Reactor Context (else the thread's) is continued
         * while the chain runs; without one, the subscription gets a new span, as with {@code @NewSpan}.
         */
        static Object continuedPerSubscription(TraceMethodInvocationProcessor processor, MethodInvocation invocation,
                ContinueSpan continueSpan) throws Throwable {
            ProceedingJoinPoint joinPoint = joinPoint();
            Object result;
            try {
                result = invocation.proceed();
            }
            catch (Throwable ex) {
                Span current = processor.tracer.currentSpan();
                Span span = current != null ? current : processor.tracer.nextSpan();
                if (current != null) {
                    processor.tag(span, invocation, joinPoint);
                }
                else {
                    processor.describe(span, invocation, null, joinPoint);
                    span.start();
                }
                Continued continued = processor.new Continued(span, continueSpan.log());
                continued.begin();
                continued.done(ex);
                if (current == null) {
                    span.end();
                }
                throw ex;
            }
            if (result instanceof Mono<?> mono) {
                return continued(processor, invocation, continueSpan, joinPoint, mono);
            }
            if (result instanceof Flux<?> flux) {
                return continued(processor, invocation, continueSpan, joinPoint, flux);
            }
            return result;
        }

        private static <T> Mono<T> continued(TraceMethodInvocationProcessor processor, MethodInvocation invocation,
                ContinueSpan continueSpan, ProceedingJoinPoint joinPoint, Mono<T> mono) {
            return Mono.deferContextual(context -> {
                Span span = spanIn(processor.tracer, context);
                if (span == null) {
                    // a span of its own, with the events
                    return ReactorTracing.inChildSpan(processor.tracer, invocation.getMethod().getName(), child -> {
                        processor.describe(child, invocation, null, joinPoint);
                        // the child's own operator records the failure
                        return recorded(processor.new Continued(child, continueSpan.log(), false), mono);
                    });
                }
                processor.tag(span, invocation, joinPoint);
                return recorded(processor.new Continued(span, continueSpan.log()), mono);
            });
        }

        private static <T> Flux<T> continued(TraceMethodInvocationProcessor processor, MethodInvocation invocation,
                ContinueSpan continueSpan, ProceedingJoinPoint joinPoint, Flux<T> flux) {
            return Flux.deferContextual(context -> {
                Span span = spanIn(processor.tracer, context);
                if (span == null) {
                    return ReactorTracing.inChildSpanFlux(processor.tracer, invocation.getMethod().getName(),
                            child -> {
                                processor.describe(child, invocation, null, joinPoint);
                                return recorded(processor.new Continued(child, continueSpan.log(), false), flux);
                            });
                }
                processor.tag(span, invocation, joinPoint);
                return recorded(processor.new Continued(span, continueSpan.log()), flux);
            });
        }

        /** {@code mono} writing its events as it runs: before the signal goes on, whoever waits may end the span next. */
        private static <T> Mono<T> recorded(Continued continued, Mono<T> mono) {
            continued.begin();
            return mono.doOnError(continued::failed).doOnTerminate(continued::after).doOnCancel(continued::after);
        }

        private static <T> Flux<T> recorded(Continued continued, Flux<T> flux) {
            continued.begin();
            return flux.doOnError(continued::failed).doOnTerminate(continued::after).doOnCancel(continued::after);
        }

        /** The span in {@code context}, else the thread's current one, or null. */
        private static Span spanIn(Tracer tracer, ContextView context) {
            TraceContext traceContext = ReactorTracing.traceContext(context);
            if (traceContext == null) {
                return tracer.currentSpan();
            }
            try (CurrentTraceContext.Scope scope = tracer.currentTraceContext().maybeScope(traceContext)) {
                return tracer.currentSpan();
            }
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
