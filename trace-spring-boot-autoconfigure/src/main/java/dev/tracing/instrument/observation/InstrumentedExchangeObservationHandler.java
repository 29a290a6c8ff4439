package dev.tracing.instrument.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationView;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.TracingObservationHandler;
import io.micrometer.tracing.handler.TracingObservationHandler.TracingContext;

/**
 * The tracing handler for Observations of exchanges this starter's instrumentation already
 * traces (see {@link InstrumentedExchanges}): it starts no span, ends none, injects and extracts
 * no headers, and never changes the current span. The exchange keeps exactly the one span and
 * the one set of trace headers our instrumentation gives it, while the Observation's metrics
 * are still recorded by the other handlers.
 *
 * <p>It does record, as the Observation's span, the span that is current when the Observation
 * starts. For a server request that is our SERVER span (our filter runs outside Spring's
 * observation), so an Observation started inside the request (an {@code @Observed} method)
 * finds it as its parent, and Micrometer's metrics handler, which reads the span to attach
 * exemplars, finds the request's ids. For a client call or a record it is the caller's span;
 * where none is current, the span of the Observation's parent (a reactive {@code @Scheduled}
 * method's task, which Spring passes in the Reactor Context only), which our WebClient filter
 * then reads from the Context.
 *
 * <p>Design notes: every Observation must carry a {@link TracingContext} once a tracing handler
 * group is registered (Micrometer's {@code TracingAwareMeterObservationHandler} requires it), so
 * this handler claims these Observations instead of leaving them to no handler.
 */
public final class InstrumentedExchangeObservationHandler implements TracingObservationHandler<Observation.Context> {

    private final Tracer tracer;

    private final InstrumentedExchanges exchanges;

    public InstrumentedExchangeObservationHandler(Tracer tracer, InstrumentedExchanges exchanges) {
        this.tracer = tracer;
        this.exchanges = exchanges;
    }

    @Override
    public void onStart(Observation.Context context) {
        Span current = tracer.currentSpan();
        if (current == null) {
            // started where no span is current, inside a chain that carries its parent Observation only (a
            // reactive @Scheduled method's task): that Observation's span
            ObservationView parent = context.getParentObservation();
            TracingContext parentTracing = parent != null ? parent.getContextView().get(TracingContext.class) : null;
            current = parentTracing != null ? parentTracing.getSpan() : null;
        }
        getTracingContext(context).setSpan(current);
    }

    @Override
    public void onStop(Observation.Context context) {
        // the span belongs to our instrumentation, which ends it
    }

    @Override
    public void onError(Observation.Context context) {
        // our instrumentation records the exchange's error on its own span
    }

    @Override
    public void onEvent(Observation.Event event, Observation.Context context) {
    }

    @Override
    public void onScopeOpened(Observation.Context context) {
        // our instrumentation keeps the current span; a scope here could only clear or repeat it
    }

    @Override
    public void onScopeClosed(Observation.Context context) {
    }

    @Override
    @SuppressWarnings("deprecation")
    public void onScopeReset(Observation.Context context) {
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
        return context != null && exchanges.covers(context);
    }

    @Override
    public Tracer getTracer() {
        return tracer;
    }

}
