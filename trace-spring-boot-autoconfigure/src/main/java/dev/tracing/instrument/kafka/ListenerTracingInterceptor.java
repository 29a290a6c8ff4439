package dev.tracing.instrument.kafka;

import dev.tracing.instrument.observation.InstrumentedExchanges;
import org.apache.kafka.clients.consumer.Consumer;

import org.springframework.kafka.listener.ThreadStateProcessor;

/**
 * What the record and the batch interceptor share: the spans of each consumer thread, the
 * wrapped interceptor's thread-state callbacks, and ending the spans when the wrapped
 * interceptor skips or fails.
 */
abstract class ListenerTracingInterceptor implements ThreadStateProcessor {

    final KafkaSpanPolicy policy;

    final ListenerSpans.PerThread current = new ListenerSpans.PerThread();

    private final ThreadStateProcessor wrapped;

    ListenerTracingInterceptor(KafkaSpanPolicy policy, ThreadStateProcessor wrapped) {
        this.policy = policy;
        this.wrapped = wrapped;
    }

    /** The wrapped interceptor's result: null skips the record or batch, so its spans end now. */
    final <T> T intercepted(T result) {
        if (result == null) {
            current.finish();
        }
        return result;
    }

    /**
     * The wrapped interceptor threw: the spans end with its error, as with any failed listener. Their
     * scope stays until the container is done: it reports this failure too (which must not start
     * another span for the same attempt) and runs its error handler, whose logs join the trace.
     */
    final void interceptFailed(Throwable error) {
        current.fail(error);
        current.outcome();
    }

    /** The container starts a poll: its records are ours, not its Observations' to trace. */
    @Override
    public final void setupThreadState(Consumer<?, ?> consumer) {
        InstrumentedExchanges.tracedListenerThread(true);
        if (wrapped != null) {
            wrapped.setupThreadState(consumer);
        }
    }

    /** The container is done with the poll: whatever is still open ends. */
    @Override
    public final void clearThreadState(Consumer<?, ?> consumer) {
        try {
            if (wrapped != null) {
                wrapped.clearThreadState(consumer);
            }
        }
        finally {
            current.finish();
            InstrumentedExchanges.tracedListenerThread(false);
        }
    }

}
