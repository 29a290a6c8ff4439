package dev.tracing.instrument.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.transport.ReceiverContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.propagation.Propagator;

/**
 * A SERVER or CONSUMER span, continuing the trace this starter's propagator extracts, for each
 * incoming Observation this starter does not already instrument; B3 multi headers are read in
 * either spelling ({@link MessageHeadersPropagator}).
 */
public final class ReceiverObservationSpanHandler
        extends PropagatingReceiverTracingObservationHandler<ReceiverContext<?>> {

    private final InstrumentedExchanges exchanges;

    public ReceiverObservationSpanHandler(Tracer tracer, Propagator propagator, InstrumentedExchanges exchanges) {
        super(tracer, new MessageHeadersPropagator(propagator));
        this.exchanges = exchanges;
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
        return context instanceof ReceiverContext && !exchanges.covers(context) && !exchanges.hasOwnHandler(context);
    }

}
