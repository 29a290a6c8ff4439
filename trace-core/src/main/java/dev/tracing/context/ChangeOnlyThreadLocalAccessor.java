package dev.tracing.context;

import java.util.ArrayDeque;
import java.util.Deque;

import io.micrometer.context.ThreadLocalAccessor;

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
 * @param <V> the value type
 */
public final class ChangeOnlyThreadLocalAccessor<V> implements ThreadLocalAccessor<V> {

    private final ThreadLocalAccessor<V> delegate;

    private final ThreadLocal<Deque<Boolean>> skipped = ThreadLocal.withInitial(ArrayDeque::new);

    /** Wraps {@code delegate}, keeping its key. */
    public ChangeOnlyThreadLocalAccessor(ThreadLocalAccessor<V> delegate) {
        this.delegate = delegate;
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
        if (delegate.getValue() == null) {
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
