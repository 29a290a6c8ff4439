package dev.tracing.propagation;

import java.util.List;

import dev.tracing.core.SpanContext;
import io.micrometer.tracing.propagation.Propagator;

/**
 * One wire format of a trace context: which carrier fields it uses, how it writes a context into
 * a carrier and how it reads one back.
 *
 * <p>Implementations are stateless and shared. They never throw on malformed input: a carrier
 * without a usable context is a normal outcome and yields null.
 */
interface TraceContextFormat {

    /** Returns the (lower-case) carrier field names this format reads and writes. */
    List<String> fields();

    /**
     * Writes {@code context} into {@code carrier}. Does nothing when the context is null or when
     * this format cannot represent it.
     */
    <C> void inject(SpanContext context, C carrier, Propagator.Setter<C> setter);

    /**
     * Reads a context from {@code carrier}: a remote context with ids, a context that carries only
     * a sampling decision, or null when the carrier holds nothing usable (absent or malformed).
     */
    <C> SpanContext extract(C carrier, Propagator.Getter<C> getter);
}
