package dev.tracing.instrument.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.transport.SenderContext;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.propagation.Propagator;

/**
 * A CLIENT or PRODUCER span, and trace headers injected with this starter's propagator, for each
 * outgoing Observation this starter does not already instrument (another messaging system, a
 * library's own client; HTTP client requests have {@link HttpClientObservationSpanHandler}), B3
 * multi headers spelled for case-sensitive carriers ({@link MessageHeadersPropagator}).
 * Inside an open Observation its parent is that Observation's span, also where Reactor restored
 * the request's span over it ({@link EnclosingObservation}).
 */
public final class SenderObservationSpanHandler extends PropagatingSenderTracingObservationHandler<SenderContext<?>> {

    private final InstrumentedExchanges exchanges;

    public SenderObservationSpanHandler(Tracer tracer, Propagator propagator, InstrumentedExchanges exchanges) {
        super(tracer, new MessageHeadersPropagator(propagator));
        this.exchanges = exchanges;
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
        return context instanceof SenderContext && !exchanges.covers(context) && !exchanges.hasOwnHandler(context);
    }

    @Override
    public Span getParentSpan(Observation.ContextView context) {
        return EnclosingObservation.parentSpan(super.getParentSpan(context), context);
    }

}
