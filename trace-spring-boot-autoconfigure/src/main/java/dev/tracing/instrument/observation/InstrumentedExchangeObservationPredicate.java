package dev.tracing.instrument.observation;

import java.util.List;
import java.util.function.Supplier;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationPredicate;

/**
 * Leaves out Spring's Observation of an exchange this starter's instrumentation already traces
 * (see {@link InstrumentedExchanges}) when nothing would use it: when the only handlers that
 * accept it are {@link InstrumentedExchangeObservationHandler}s, which start no span. Spring then
 * gets Micrometer's no-op Observation for the exchange, so it makes no Observation context, key
 * values, handler notifications or scopes per request. With a handler that accepts the
 * Observation (Micrometer's metrics handler, for {@code http.server.requests}; a user's own) the
 * Observation runs as before, unless {@link Mode#SKIP} says to leave it out anyway.
 *
 * <p>A WebClient's Observation always runs: WebClient puts it in the Reactor Context of the
 * exchange in place of the enclosing one, and our filter finds the span of an enclosing
 * Observation ({@code tap(Micrometer.observation(registry))} around the call) through it; a no-op
 * Observation there would make the call a child of the request's span instead.
 *
 * <p>Design notes: the handlers are read once, on the first Observation of a covered kind, from
 * the beans Spring Boot registers in the {@code ObservationRegistry}; a handler added to the
 * registry by other means (an {@code ObservationRegistryCustomizer}) is not seen: set
 * {@link Mode#OBSERVE} then (the auto-configuration leaves a {@code TestObservationRegistry}
 * alone). A handler is asked with the context as it is before the Observation starts (its name
 * not yet set); one that fails to answer counts as accepting it. An Observation inside the
 * exchange (an {@code @Observed} method) finds no enclosing Observation and takes the current
 * span, which is our span of the exchange: the same parent as with the Observation.
 */
public final class InstrumentedExchangeObservationPredicate implements ObservationPredicate {

    private final InstrumentedExchanges exchanges;

    private final Mode mode;

    private final Supplier<List<ObservationHandler<?>>> handlerSource;

    private volatile List<ObservationHandler<Observation.Context>> others;

    /**
     * A predicate for the exchanges {@code exchanges} covers; {@code handlers} supplies the
     * handlers registered in the ObservationRegistry, read once on first use.
     */
    public InstrumentedExchangeObservationPredicate(InstrumentedExchanges exchanges, Mode mode,
            Supplier<List<ObservationHandler<?>>> handlers) {
        this.exchanges = exchanges;
        this.mode = mode;
        this.handlerSource = handlers;
    }

    @Override
    public boolean test(String name, Observation.Context context) {
        if (mode == Mode.OBSERVE
                || InstrumentedExchanges.kindOf(context) == InstrumentedExchanges.HttpClientKind.REACTIVE
                || !exchanges.covers(context)) {
            return true;
        }
        if (mode == Mode.SKIP) {
            return false;
        }
        List<ObservationHandler<Observation.Context>> handlers;
        try {
            handlers = others();
        }
        catch (RuntimeException ex) {
            // the handlers could not be read (the application context closing): start it, as without us
            return true;
        }
        // by index: asked for every covered exchange, and an iterator would be an allocation each time
        for (int i = 0, n = handlers.size(); i < n; i++) {
            if (accepts(handlers.get(i), context)) {
                return true;
            }
        }
        return false;
    }

    private static boolean accepts(ObservationHandler<Observation.Context> handler, Observation.Context context) {
        try {
            return handler.supportsContext(context);
        }
        catch (RuntimeException ex) {
            return true;
        }
    }

    @SuppressWarnings("unchecked")
    private List<ObservationHandler<Observation.Context>> others() {
        List<ObservationHandler<Observation.Context>> known = others;
        if (known == null) {
            known = handlerSource.get()
                .stream()
                .filter(handler -> !(handler instanceof InstrumentedExchangeObservationHandler))
                .map(handler -> (ObservationHandler<Observation.Context>) handler)
                .toList();
            others = known;
        }
        return known;
    }

    /** What becomes of Spring's Observation of an exchange this starter traces. */
    public enum Mode {

        /** Left out when no handler but ours would take it (no metrics, no handler of your own). */
        AUTO,

        /** Always started: its metrics and your handlers see it; it makes no second span. */
        OBSERVE,

        /** Always left out, even when metrics would record it. */
        SKIP

    }

}
