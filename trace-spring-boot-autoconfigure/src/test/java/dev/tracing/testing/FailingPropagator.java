package dev.tracing.testing;

import java.util.List;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;

/** A propagator that cannot write its {@code traceparent}: for what a client does when writing fails. */
public final class FailingPropagator implements Propagator {

    private final Tracer tracer;

    public FailingPropagator(Tracer tracer) {
        this.tracer = tracer;
    }

    @Override
    public List<String> fields() {
        return List.of("traceparent");
    }

    @Override
    public <C> void inject(TraceContext context, C carrier, Setter<C> setter) {
        throw new IllegalStateException("cannot write");
    }

    @Override
    public <C> Span.Builder extract(C carrier, Getter<C> getter) {
        return tracer.spanBuilder();
    }

}
