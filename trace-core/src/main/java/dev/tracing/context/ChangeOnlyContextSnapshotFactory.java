package dev.tracing.context;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.context.ContextAccessor;
import io.micrometer.context.ContextRegistry;
import io.micrometer.context.ContextSnapshot;
import io.micrometer.context.ContextSnapshotFactory;
import io.micrometer.context.ThreadLocalAccessor;
import io.micrometer.observation.Observation;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.handler.TracingObservationHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ContextSnapshotFactory} whose restore from a context leaves alone every thread-local
 * that already holds the context's value, and puts back only what it changed.
 *
 * <p>Design notes: Reactor's automatic context propagation restores every registered accessor
 * from the Reactor Context around each signal at each boundary (a {@code contextWrite}, a
 * {@code tap}, a source that is not Reactor's own): dozens of times per WebFlux request, and
 * most arrive on a thread where an outer boundary has already restored the very same values.
 * context-propagation's default factory still builds a map of previous values, a scope and two
 * iterators for each, and sets and resets every accessor. Here each value is first compared
 * (by identity) with the thread's: a restore that changes nothing returns a shared no-op scope
 * and allocates nothing. A value that differs is set, and put back on close, as the default
 * factory does (the previous value read before the set, put back in reverse order; the trace
 * context's accessor keeps what it replaced itself, so its scope is shared), unless both the
 * value and the thread's mean nothing (a no-op Observation over none). A missing
 * value is not cleared where a {@link ChangeOnlyThreadLocalAccessor} says the thread's value
 * already means nothing, nor the thread's Observation where the context left that very one out on
 * purpose ({@link ReactorTracing#leaveOutObservation}: Reactor's default would clear it, opening a
 * {@code NullObservation} scope around each operator inside Reactor Netty's connect) or carries the
 * span that Observation stands for (Spring's request Observation around its handler). Otherwise
 * the difference is visible only to code that changes a thread-local inside a restore and leaves
 * it changed: the default would undo that at the innermost boundary, this factory at the boundary
 * that last changed the value. A restore that fails part way (an accessor throws) puts back what
 * the accessors before the failing one had set, and rethrows: the default factory leaves it on the
 * thread, where the event loop's next requests would log the failed one's trace ids. What the
 * failing accessor itself may have left is its own (putting it back could undo someone else's).
 */
public final class ChangeOnlyContextSnapshotFactory implements ContextSnapshotFactory {

    private static final Logger logger = LoggerFactory.getLogger(ChangeOnlyContextSnapshotFactory.class);

    private static final ContextSnapshot.Scope NOTHING_CHANGED = () -> {
    };

    private final ContextRegistry registry;

    private final boolean clearMissing;

    private final ContextSnapshotFactory delegate;

    /** For each accessor, the scope that puts back "nothing": most restores change one accessor that had no value. */
    private final Map<ThreadLocalAccessor<?>, ContextSnapshot.Scope> restoresToNothing = new ConcurrentHashMap<>();

    /** The last pair of accessors restored to nothing together, with its scope; a race makes one twice. */
    private volatile BothToNothing lastBothToNothing;

    /**
     * The reader of each context type, found once: Reactor restores from a handful of Context
     * classes (Context1 ... ContextN) many times per request, and each scan of the registry calls
     * {@code isAssignableFrom} per accessor. A context accessor removed later is still used for a
     * type already looked up (registries add theirs at start-up); a type no accessor read when first
     * seen keeps going to the default factory, which looks again.
     */
    private final ClassValue<Reader> readers = new ClassValue<>() {
        @Override
        protected Reader computeValue(Class<?> type) {
            return new Reader(findReader(type));
        }
    };

    /**
     * Creates a factory over {@code registry}. With {@code clearMissing}, a restore also clears
     * (and later puts back) the thread-locals whose key the context does not have, as Reactor's
     * automatic propagation asks.
     */
    public ChangeOnlyContextSnapshotFactory(ContextRegistry registry, boolean clearMissing) {
        this.registry = registry;
        this.clearMissing = clearMissing;
        this.delegate = ContextSnapshotFactory.builder().contextRegistry(registry).clearMissing(clearMissing).build();
    }

    /**
     * Makes Reactor's context propagation restore through a factory like this one, over the global
     * registry. Reactor keeps its factory in a package-private field that
     * {@code Hooks.enableAutomaticContextPropagation()} replaces, so call this after it, with the
     * same {@code clearMissing} ({@code true} for automatic propagation). Returns false, and leaves
     * Reactor as it was, when the field is not there or cannot be written (another Reactor
     * version, or Reactor on the module path).
     */
    public static boolean installInReactor(boolean clearMissing) {
        try {
            Class<?> propagation = Class.forName("reactor.core.publisher.ContextPropagation", true,
                    ChangeOnlyContextSnapshotFactory.class.getClassLoader());
            Field field = propagation.getDeclaredField("globalContextSnapshotFactory");
            int modifiers = field.getModifiers();
            if (!Modifier.isStatic(modifiers) || Modifier.isFinal(modifiers)
                    || field.getType() != ContextSnapshotFactory.class) {
                logger.debug("Reactor's context snapshot factory field has an unexpected shape; left as it is");
                return false;
            }
            field.setAccessible(true);
            field.set(null, new ChangeOnlyContextSnapshotFactory(ContextRegistry.getInstance(), clearMissing));
            return true;
        }
        catch (ReflectiveOperationException | LinkageError | RuntimeException ex) {
            logger.debug("Reactor's context snapshot factory left as it is", ex);
            return false;
        }
    }

    @Override
    public ContextSnapshot captureAll(Object... contexts) {
        return delegate.captureAll(contexts);
    }

    @Override
    public ContextSnapshot captureFrom(Object... contexts) {
        return delegate.captureFrom(contexts);
    }

    /**
     * Restores from {@code sourceContext}. Kept this small so that the JIT inlines it where Reactor
     * calls it, passing a new empty array for {@code keys} on every restore: the array then never
     * escapes, and is not allocated (with automatic propagation that was about 70 arrays per request).
     */
    @Override
    public <C> ContextSnapshot.Scope setThreadLocalsFrom(Object sourceContext, String... keys) {
        if (keys != null && keys.length != 0) {
            // named keys are not what Reactor asks for
            return delegate.setThreadLocalsFrom(sourceContext, keys);
        }
        return restoreFrom(sourceContext);
    }

    @SuppressWarnings("unchecked")
    private <C> ContextSnapshot.Scope restoreFrom(Object sourceContext) {
        ContextAccessor<C, ?> contextAccessor = readerOf(sourceContext);
        if (contextAccessor == null) {
            // an unknown context type gets the library's own error
            return delegate.setThreadLocalsFrom(sourceContext);
        }
        List<ThreadLocalAccessor<?>> accessors = registry.getThreadLocalAccessors();
        // the usual restore changes one accessor (the trace context, on a thread that had none), often two
        // (with the Observation): no array for them
        ThreadLocalAccessor<Object> first = null;
        Object firstPrevious = null;
        ThreadLocalAccessor<Object> second = null;
        Object secondPrevious = null;
        Changes changes = null;
        try {
            // by index: the registry's list is copy-on-write, and an iterator would be an allocation per restore
            for (int i = 0, n = accessors.size(); i < n; i++) {
                ThreadLocalAccessor<Object> accessor;
                try {
                    accessor = (ThreadLocalAccessor<Object>) accessors.get(i);
                }
                catch (IndexOutOfBoundsException removedMeanwhile) {
                    break;
                }
                Object value = ObservationLeftOut.unwrap(contextAccessor.readValue((C) sourceContext, accessor.key()));
                Object current = accessor.getValue();
                if (value == current || (value == null && (!clearMissing || alreadyClear(accessor, current)
                        || keepsObservation(contextAccessor, (C) sourceContext, accessor, current)))
                        || (value != null && alreadyClear(accessor, value) && alreadyClear(accessor, current))) {
                    continue;
                }
                if (value != null) {
                    accessor.setValue(value);
                }
                else {
                    accessor.setValue();
                }
                // only once set: an accessor that failed to set is not put back
                if (first == null) {
                    first = accessor;
                    firstPrevious = current;
                }
                else if (second == null) {
                    second = accessor;
                    secondPrevious = current;
                }
                else {
                    if (changes == null) {
                        changes = new Changes(n);
                        changes.add(first, firstPrevious);
                        changes.add(second, secondPrevious);
                    }
                    changes.add(accessor, current);
                }
            }
        }
        catch (Throwable failure) {
            // the signal fails; what this restore set must not stay on the thread for the next request
            try {
                if (changes != null) {
                    changes.close();
                }
                else {
                    if (second != null) {
                        restore(second, secondPrevious);
                    }
                    if (first != null) {
                        restore(first, firstPrevious);
                    }
                }
            }
            catch (Throwable undoing) {
                failure.addSuppressed(undoing);
            }
            throw failure;
        }
        if (changes != null) {
            return changes;
        }
        if (second != null) {
            return firstPrevious == null && secondPrevious == null ? restoreBothToNothing(first, second)
                    : new TwoChanges(first, firstPrevious, second, secondPrevious);
        }
        if (first == null) {
            return NOTHING_CHANGED;
        }
        // the trace context's accessor puts back from its own stack, whatever it is given
        return firstPrevious == null || (ThreadLocalAccessor<?>) first instanceof TraceContextThreadLocalAccessor
                ? restoreToNothing(first)
                : new SingleChange(first, firstPrevious);
    }

    /**
     * The scope that puts back "nothing" for {@code accessor} (or, for the trace context's, what it
     * replaced): one shared instance per accessor.
     */
    private ContextSnapshot.Scope restoreToNothing(ThreadLocalAccessor<Object> accessor) {
        ContextSnapshot.Scope scope = restoresToNothing.get(accessor);
        if (scope == null) {
            scope = accessor::restore;
            restoresToNothing.put(accessor, scope);
        }
        return scope;
    }

    /**
     * The scope that puts back "nothing" for two accessors (the usual restore on an event-loop thread with
     * automatic propagation: the Observation and the trace context): shared while the pair is the last one
     * seen, which, accessors being restored in the registry's order, it almost always is.
     */
    private ContextSnapshot.Scope restoreBothToNothing(ThreadLocalAccessor<Object> first,
            ThreadLocalAccessor<Object> second) {
        BothToNothing known = lastBothToNothing;
        if (known != null && known.first == first && known.second == second) {
            return known;
        }
        known = new BothToNothing(first, second);
        lastBothToNothing = known;
        return known;
    }

    /**
     * Whether {@code accessor} is the Observation's, the thread holds {@code current}, and
     * {@code context}, which has no Observation, either left that very Observation out on purpose
     * ({@link ReactorTracing#leaveOutObservation}) or carries the span that Observation stands for:
     * the thread keeps it. Any other Observation is cleared as Reactor asks.
     */
    private static <C> boolean keepsObservation(ContextAccessor<C, ?> contextAccessor, C context,
            ThreadLocalAccessor<Object> accessor, Object current) {
        if (!ObservationThreadLocalAccessor.KEY.equals(accessor.key())) {
            return false;
        }
        Object trace = contextAccessor.readValue(context, TraceContextThreadLocalAccessor.KEY);
        if (trace instanceof ObservationLeftOut left) {
            return left.observation() == current;
        }
        return trace != null && current instanceof Observation observation && standsFor(observation, trace);
    }

    /**
     * Whether {@code observation}'s span is {@code trace}: Spring's Observation of a request that our
     * HTTP handler decorator traces, in the regions outside the Reactor Context write of the
     * Observation inside Spring's handler adapter (the adapter's own listener, our decorator, the
     * multipart clean-up, the response's commit and the actions it runs), whose Context has the
     * request's span but not the Observation. Clearing it there would open a {@code NullObservation}
     * scope, and reopen the Observation's at the next operator inside, twice per request. Left, it is
     * what {@code getCurrentObservation()} returns there (possibly stopped already, once the response
     * is written) instead of none: an Observation started there gets it as its parent, and its span's
     * parent is the request's span either way.
     */
    private static boolean standsFor(Observation observation, Object trace) {
        TracingObservationHandler.TracingContext tracing = observation.getContextView()
            .get(TracingObservationHandler.TracingContext.class);
        Span span = tracing != null ? tracing.getSpan() : null;
        if (span == null) {
            return false;
        }
        TraceContext spans = span.context();
        return spans == trace || spans.equals(trace);
    }

    /**
     * Whether {@code current} means nothing for {@code accessor}: clearing it changes nothing, and setting one
     * such value over another is skipped too (a no-op Observation, Spring's request Observation where it is
     * left out, over none: its scope would be a scope object and its undoing at each boundary, and would only
     * make {@code getCurrentObservation()} return the no-op instead of null; neither carries a span).
     */
    @SuppressWarnings("unchecked")
    private static boolean alreadyClear(ThreadLocalAccessor<Object> accessor, Object current) {
        return accessor instanceof ChangeOnlyThreadLocalAccessor<?> changeOnly
                && ((ChangeOnlyThreadLocalAccessor<Object>) changeOnly).isEmpty(current);
    }

    @SuppressWarnings("unchecked")
    private <C> ContextAccessor<C, ?> readerOf(Object context) {
        return (ContextAccessor<C, ?>) readers.get(context.getClass()).accessor;
    }

    private ContextAccessor<?, ?> findReader(Class<?> type) {
        for (ContextAccessor<?, ?> accessor : registry.getContextAccessors()) {
            if (accessor.readableType().isAssignableFrom(type)) {
                return accessor;
            }
        }
        return null;
    }

    /** The accessor that reads a context type, or null where none does. */
    private record Reader(ContextAccessor<?, ?> accessor) {
    }

    /** The one accessor a restore changed, with the value it had. */
    private record SingleChange(ThreadLocalAccessor<Object> accessor, Object previous) implements ContextSnapshot.Scope {

        @Override
        public void close() {
            accessor.restore(previous);
        }

    }

    /** The two accessors a restore changed, with the values they had; put back in reverse order. */
    private record TwoChanges(ThreadLocalAccessor<Object> first, Object firstPrevious,
            ThreadLocalAccessor<Object> second, Object secondPrevious) implements ContextSnapshot.Scope {

        @Override
        public void close() {
            restore(second, secondPrevious);
            restore(first, firstPrevious);
        }

    }

    /** Two accessors a restore changed on a thread where neither had a value; cleared in reverse order. */
    private record BothToNothing(ThreadLocalAccessor<Object> first, ThreadLocalAccessor<Object> second)
            implements ContextSnapshot.Scope {

        @Override
        public void close() {
            second.restore();
            first.restore();
        }

    }

    /** Puts back {@code previous} in {@code accessor}, or clears it when there was none. */
    private static void restore(ThreadLocalAccessor<Object> accessor, Object previous) {
        if (previous != null) {
            accessor.restore(previous);
        }
        else {
            accessor.restore();
        }
    }

    /** Three or more accessors a restore changed, with the values they had; put back in reverse order. */
    private static final class Changes implements ContextSnapshot.Scope {

        private final Object[] changed;

        private int size;

        Changes(int accessors) {
            this.changed = new Object[accessors * 2];
        }

        void add(ThreadLocalAccessor<Object> accessor, Object previous) {
            changed[size++] = accessor;
            changed[size++] = previous;
        }

        @Override
        @SuppressWarnings("unchecked")
        public void close() {
            for (int i = size - 2; i >= 0; i -= 2) {
                restore((ThreadLocalAccessor<Object>) changed[i], changed[i + 1]);
            }
        }

    }

}
