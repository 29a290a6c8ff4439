package dev.tracing.instrument.observation;

import java.util.Iterator;
import java.util.List;

import dev.tracing.internal.TraceHeaderNames;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.propagation.Propagator;

/**
 * The starter's propagator for the carriers of other transports' Observations (RabbitMQ's message
 * properties, a library's own headers), whose header names are case-sensitive, unlike HTTP's:
 * the B3 multi headers are written as Brave and OpenTelemetry spell them ({@code X-B3-TraceId}),
 * so that their receivers find them, and read in that spelling first, then in the lower case our
 * propagator uses (an older release of this starter). Every other header is passed on as it is.
 */
final class MessageHeadersPropagator implements Propagator {

    private final Propagator delegate;

    MessageHeadersPropagator(Propagator delegate) {
        this.delegate = delegate;
    }

    @Override
    public List<String> fields() {
        return delegate.fields();
    }

    @Override
    public <C> void inject(TraceContext context, C carrier, Setter<C> setter) {
        delegate.inject(context, carrier, (into, key, value) -> {
            String asWritten = TraceHeaderNames.b3MultiAsWritten(key);
            setter.set(into, asWritten != null ? asWritten : key, value);
        });
    }

    @Override
    public <C> Span.Builder extract(C carrier, Getter<C> getter) {
        return delegate.extract(carrier, new Getter<C>() {

            @Override
            public String get(C from, String key) {
                String asWritten = TraceHeaderNames.b3MultiAsWritten(key);
                String value = asWritten != null ? getter.get(from, asWritten) : null;
                return value != null ? value : getter.get(from, key);
            }

            @Override
            public Iterable<String> getAll(C from, String key) {
                String asWritten = TraceHeaderNames.b3MultiAsWritten(key);
                if (asWritten != null) {
                    Iterable<String> values = getter.getAll(from, asWritten);
                    Iterator<String> any = values != null ? values.iterator() : null;
                    if (any != null && any.hasNext()) {
                        return values;
                    }
                }
                return getter.getAll(from, key);
            }

        });
    }

}
