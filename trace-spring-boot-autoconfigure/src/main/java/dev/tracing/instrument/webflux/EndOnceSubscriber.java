package dev.tracing.instrument.webflux;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.util.context.Context;

/**
 * Passes every signal through and calls {@link #end} exactly once: on error, on completion or on
 * cancel, whichever comes first; before passing an error or a completion on, after passing a
 * cancel on. What a span around a reactive exchange needs, in one object per exchange instead of
 * a {@code doOnNext}, a {@code doOnError} and a {@code doFinally} operator, each with a subscriber
 * and a lambda.
 * @param <T> the value type
 */
abstract class EndOnceSubscriber<T> implements CoreSubscriber<T>, Subscription {

    @SuppressWarnings("rawtypes")
    private static final AtomicIntegerFieldUpdater<EndOnceSubscriber> ENDED = AtomicIntegerFieldUpdater
        .newUpdater(EndOnceSubscriber.class, "ended");

    private final CoreSubscriber<? super T> actual;

    /** The Context upstream sees, or null for {@code actual}'s. */
    private final Context context;

    private Subscription upstream;

    private volatile int ended;

    EndOnceSubscriber(CoreSubscriber<? super T> actual) {
        this(actual, null);
    }

    /**
     * A subscriber whose upstream sees {@code context} instead of {@code actual}'s: what a
     * {@code contextWrite} operator after it would give, without that operator's publisher,
     * subscriber and function.
     */
    EndOnceSubscriber(CoreSubscriber<? super T> actual, Context context) {
        this.actual = actual;
        this.context = context;
    }

    /** Sees each value before it is passed on. */
    void next(T value) {
    }

    /** Ends the exchange: {@code error} on error, {@code cancelled} on cancel, neither on completion. */
    abstract void end(Throwable error, boolean cancelled);

    @Override
    public final Context currentContext() {
        Context own = context;
        return own != null ? own : actual.currentContext();
    }

    @Override
    public final void onSubscribe(Subscription subscription) {
        this.upstream = subscription;
        actual.onSubscribe(this);
    }

    @Override
    public final void onNext(T value) {
        next(value);
        actual.onNext(value);
    }

    @Override
    public final void onError(Throwable error) {
        boolean entered = enter();
        try {
            endOnce(error, false);
            actual.onError(error);
        }
        finally {
            if (entered) {
                exit();
            }
        }
    }

    @Override
    public final void onComplete() {
        boolean entered = enter();
        try {
            endOnce(null, false);
            actual.onComplete();
        }
        finally {
            if (entered) {
                exit();
            }
        }
    }

    @Override
    public final void request(long n) {
        boolean entered = enter();
        try {
            upstream.request(n);
        }
        finally {
            if (entered) {
                exit();
            }
        }
    }

    /**
     * Cancels upstream, then ends the exchange: what upstream's cancel handlers record on the span
     * (a tag, an event, an annotated method's end) lands before it ends. A completion or error that
     * races the cancel, or that upstream sends as it is cancelled, ends it instead.
     */
    @Override
    public final void cancel() {
        boolean entered = enter();
        try {
            upstream.cancel();
        }
        finally {
            try {
                endOnce(null, true);
            }
            finally {
                if (entered) {
                    exit();
                }
            }
        }
    }

    /**
     * Makes current on this thread what the exchange's code should see: while upstream handles a
     * request or a cancel from downstream (and {@link #end} a cancel), and while the end of the
     * exchange (its {@link #end}, then its completion or error) is passed on downstream, whatever
     * thread state it arrived with; returns whether it did, and then {@link #exit()} puts back what
     * was. Must not throw: a signal it fails goes nowhere.
     */
    boolean enter() {
        return false;
    }

    /** Puts back what {@link #enter()} replaced. */
    void exit() {
    }

    private void endOnce(Throwable error, boolean cancelled) {
        if (ENDED.compareAndSet(this, 0, 1)) {
            try {
                end(error, cancelled);
            }
            catch (RuntimeException ex) {
                // tracing never fails a request
            }
        }
    }

}
