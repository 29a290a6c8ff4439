package dev.tracing.context;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.function.Predicate;

import io.micrometer.context.ContextRegistry;
import io.micrometer.context.ThreadLocalAccessor;
import io.micrometer.observation.NullObservation;
import io.micrometer.observation.Observation;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;

/**
 * Wraps a {@link ThreadLocalAccessor} so that setting the value the thread already has does
 * nothing, and neither does the matching restore.
 *
 * <p>Design notes: with Reactor's automatic context propagation, every operator boundary restores
 * every registered accessor around every signal, and most of those signals arrive on a thread
 * where an outer boundary has already restored the very same values. Micrometer's observation
 * accessor opens (and later closes) an observation scope on each set, with its allocations and
 * handler calls, to arrive where the thread already is. Whether a set was skipped is kept on a
 * per-thread stack of shared {@link Boolean}s, so the matching restore knows without allocating:
 * context-propagation restores in reverse order, on the thread that set.
 *
 * <p>Clearing is skipped, too, where the thread's value already means "nothing": for Micrometer's
 * observations ({@link #ofObservations}) that is, besides no observation, the {@code NullObservation}
 * whose scope the accessor opens to clear (so a clear inside a cleared region opens no second one)
 * and a no-op observation, which no handler sees (Spring's request observation where no registry
 * is configured).
 * @param <V> the value type
 */
public final class ChangeOnlyThreadLocalAccessor<V> implements ThreadLocalAccessor<V> {

    private final ThreadLocalAccessor<V> delegate;

    private final Predicate<? super V> empty;

    private final ThreadLocal<Deque<Boolean>> skipped = ThreadLocal.withInitial(ArrayDeque::new);

    /** Wraps {@code delegate}, keeping its key; clearing is skipped where the thread has no value. */
    public ChangeOnlyThreadLocalAccessor(ThreadLocalAccessor<V> delegate) {
        this(delegate, Objects::isNull);
    }

    /**
     * Wraps {@code delegate}, keeping its key; clearing is skipped where the thread's value passes
     * {@code empty} (which must accept {@code null}).
     */
    public ChangeOnlyThreadLocalAccessor(ThreadLocalAccessor<V> delegate, Predicate<? super V> empty) {
        this.delegate = delegate;
        this.empty = empty;
    }

    /**
     * Wraps Micrometer's observation accessor: besides repeats, clearing is skipped where the thread
     * holds no observation, a {@code NullObservation} (an earlier clear) or a no-op observation.
     */
    public static ChangeOnlyThreadLocalAccessor<Observation> ofObservations(ThreadLocalAccessor<Observation> delegate) {
        return new ChangeOnlyThreadLocalAccessor<>(delegate,
                observation -> observation == null || observation.isNoop() || observation instanceof NullObservation);
    }

    /**
     * Replaces Micrometer's observation accessor in {@code registry} (under the same key) with
     * {@link #ofObservations its change-only wrapper}, unless it is wrapped already. Reactor restores
     * every registered accessor around every signal; Micrometer's opens an observation scope each
     * time, even for the observation the thread already has, and a {@code NullObservation} scope to
     * clear even where the thread has nothing to clear. Wrapped, those are free; a change of
     * observation still opens its scope.
     */
    @SuppressWarnings("unchecked")
    public static void wrapObservationAccessor(ContextRegistry registry) {
        for (ThreadLocalAccessor<?> accessor : registry.getThreadLocalAccessors()) {
            if (ObservationThreadLocalAccessor.KEY.equals(accessor.key())
                    && !(accessor instanceof ChangeOnlyThreadLocalAccessor)) {
                registry.registerThreadLocalAccessor(ofObservations((ThreadLocalAccessor<Observation>) accessor));
                return;
            }
        }
    }

    /** Whether clearing would leave the thread as it is: its value {@code current} already means nothing. */
    public boolean isEmpty(V current) {
        return empty.test(current);
    }

    @Override
    public Object key() {
        return delegate.key();
    }

    @Override
    public V getValue() {
        return delegate.getValue();
    }

    @Override
    public void setValue(V value) {
        Deque<Boolean> stack = skipped.get();
        if (delegate.getValue() == value) {
            stack.push(Boolean.TRUE);
            return;
        }
        stack.push(Boolean.FALSE);
        delegate.setValue(value);
    }

    @Override
    public void setValue() {
        Deque<Boolean> stack = skipped.get();
        if (empty.test(delegate.getValue())) {
            stack.push(Boolean.TRUE);
            return;
        }
        stack.push(Boolean.FALSE);
        delegate.setValue();
    }

    @Override
    public void restore(V previousValue) {
        if (!wasSkipped()) {
            delegate.restore(previousValue);
        }
    }

    @Override
    public void restore() {
        if (!wasSkipped()) {
            delegate.restore();
        }
    }

    private boolean wasSkipped() {
        // a restore without a set (not done by context-propagation) reaches the delegate as before
        Boolean skip = skipped.get().poll();
        return skip != null && skip;
    }

    @Override
    public String toString() {
        return "ChangeOnly(" + delegate + ")";
    }

}
