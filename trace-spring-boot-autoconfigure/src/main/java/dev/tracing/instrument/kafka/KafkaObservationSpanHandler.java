package dev.tracing.instrument.kafka;

import dev.tracing.instrument.observation.InstrumentedExchanges;
import io.micrometer.observation.Observation;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.TracingObservationHandler;
import org.apache.kafka.clients.producer.ProducerRecord;

import org.springframework.kafka.listener.SeekUtils;
import org.springframework.kafka.support.micrometer.KafkaRecordReceiverContext;
import org.springframework.kafka.support.micrometer.KafkaRecordSenderContext;

/**
 * The PRODUCER and CONSUMER spans of records Spring Kafka observes
 * ({@code spring.kafka.template.observation-enabled}, {@code ...listener.observation-enabled}),
 * named and tagged by the same {@link KafkaSpanPolicy} as this starter's producer and listener
 * interceptor, so a template or container that is not a bean (built on a factory that is not
 * one either) still gives each send and each record exactly one span.
 *
 * <ul>
 * <li>A send: the template starts its Observation before it picks a producer, so the span and
 * the record's trace headers are made here, when the Observation starts. When the producer is
 * ours ({@link TraceProducer}), it adopts the span and ends it on the acknowledgement with the
 * partition and offset, as for a send without an Observation; otherwise the span ends when the
 * Observation stops.</li>
 * <li>A received record: left to our listener interceptor when it is on the container polling
 * it ({@link InstrumentedExchanges#covers}); otherwise the span is made here and is current
 * while the listener runs.</li>
 * </ul>
 *
 * <p>Design notes: the send being observed is handed to the producer through a thread-local,
 * because the template calls the producer on the thread that started the Observation, inside its
 * scope, for that one send; the scope's end clears it.
 */
public final class KafkaObservationSpanHandler implements TracingObservationHandler<Observation.Context> {

    private static final ThreadLocal<ObservedSend> OBSERVED_SEND = new ThreadLocal<>();

    private final KafkaSpanPolicy policy;

    private final InstrumentedExchanges exchanges;

    public KafkaObservationSpanHandler(KafkaSpanPolicy policy, InstrumentedExchanges exchanges) {
        this.policy = policy;
        this.exchanges = exchanges;
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
        return (context instanceof KafkaRecordSenderContext || context instanceof KafkaRecordReceiverContext)
                && exchanges.hasOwnHandler(context) && !exchanges.covers(context);
    }

    @Override
    public void onStart(Observation.Context context) {
        Span span;
        if (context instanceof KafkaRecordSenderContext send) {
            span = policy.startProducerSpan(send.getRecord());
            if (span != null) {
                ObservedSend observed = new ObservedSend(send.getRecord(), span);
                context.put(ObservedSend.class, observed);
                OBSERVED_SEND.set(observed);
            }
        }
        else {
            span = startRecordSpan((KafkaRecordReceiverContext) context);
        }
        if (span != null) {
            getTracingContext(context).setSpan(span);
        }
    }

    private Span startRecordSpan(KafkaRecordReceiverContext context) {
        try {
            return policy.startRecordSpan(context.getRecord());
        }
        catch (RuntimeException ex) {
            policy.failed("starting a consumer span", ex);
            return null;
        }
    }

    /** Without a span (starting one failed), the caller's stays current: Micrometer's default would clear it. */
    @Override
    public void onScopeOpened(Observation.Context context) {
        if (getTracingContext(context).getSpan() != null) {
            TracingObservationHandler.super.onScopeOpened(context);
        }
    }

    @Override
    public void onScopeClosed(Observation.Context context) {
        ObservedSend observed = context.get(ObservedSend.class);
        if (observed != null && OBSERVED_SEND.get() == observed) {
            OBSERVED_SEND.remove();
        }
        TracingObservationHandler.super.onScopeClosed(context);
    }

    @Override
    public void onError(Observation.Context context) {
        // recorded when the span ends
    }

    @Override
    public void onStop(Observation.Context context) {
        Span span = getTracingContext(context).getSpan();
        if (span == null) {
            return;
        }
        ObservedSend observed = context.get(ObservedSend.class);
        if (observed != null) {
            if (OBSERVED_SEND.get() == observed) {
                OBSERVED_SEND.remove();
            }
            if (!observed.adopted) {
                policy.endProducerSpan(span, null, context.getError());
            }
            return;
        }
        Throwable error = context.getError();
        if (error instanceof Exception exception && SeekUtils.isBackoffException(exception)) {
            // a retry topic's consumer backing off until the record is due: no delivery, no span
            try {
                span.abandon();
            }
            catch (RuntimeException ex) {
                policy.failed("ending a consumer span", ex);
            }
            return;
        }
        policy.endConsumerSpan(span, error);
    }

    @Override
    public Tracer getTracer() {
        return policy.tracer();
    }

    /**
     * The span of the send being observed on this thread, made when the template's Observation
     * started, or null when no send is; the caller then ends the span. The record may be another
     * one than the Observation's (a template's {@code ProducerInterceptor} may return a new one):
     * its headers then get the span's context too.
     */
    static Span adopt(ProducerRecord<?, ?> record, KafkaSpanPolicy policy) {
        ObservedSend observed = OBSERVED_SEND.get();
        if (observed == null) {
            return null;
        }
        OBSERVED_SEND.remove();
        observed.adopted = true;
        if (observed.record != record && record != null) {
            policy.inject(observed.span, record);
        }
        return observed.span;
    }

    /** A send whose span was made from its Observation. */
    private static final class ObservedSend {

        final Object record;

        final Span span;

        volatile boolean adopted;

        ObservedSend(Object record, Span span) {
            this.record = record;
            this.span = span;
        }

    }

}
