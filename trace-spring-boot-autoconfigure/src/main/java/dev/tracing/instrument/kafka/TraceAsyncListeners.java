package dev.tracing.instrument.kafka;

import java.lang.reflect.Field;
import java.util.function.Supplier;

import org.springframework.context.ApplicationListener;
import org.springframework.kafka.event.ConsumerStartingEvent;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.listener.adapter.AbstractDelegatingMessageListenerAdapter;
import org.springframework.kafka.listener.adapter.HandlerAdapter;
import org.springframework.kafka.listener.adapter.MessagingMessageListenerAdapter;
import org.springframework.util.ReflectionUtils;

/**
 * Makes the CONSUMER span of a {@code @KafkaListener} method that returns a
 * {@code CompletableFuture} or a {@code Mono} end when that result completes, and that of any
 * listener method that throws an {@code Error} end with it: as each consumer of a container
 * starts, the method's handler is wrapped in a {@link TraceHandlerAdapter}.
 *
 * <p>Design notes: Spring Kafka offers no hook that sees a listener's result without replacing
 * something the application may have configured (its {@code MessageHandlerMethodFactory}, whose
 * default is private, or a container factory's only {@code ContainerCustomizer}). The listener
 * adapter has a public setter for its handler but no getter, so the handler is read reflectively;
 * when it cannot be (another Spring Kafka version), the failure is counted and the listener is
 * traced as a synchronous one, never failed. The consumer-starting event is published on the
 * consumer's own thread before its first poll, so the handler is wrapped before any record is
 * processed (unless the application made event delivery asynchronous); the containers of one
 * concurrent container share their adapter, which is wrapped once.
 */
public final class TraceAsyncListeners implements ApplicationListener<ConsumerStartingEvent> {

    private static final Field HANDLER = ReflectionUtils.findField(MessagingMessageListenerAdapter.class,
            "handlerMethod", HandlerAdapter.class);

    static {
        if (HANDLER != null) {
            ReflectionUtils.makeAccessible(HANDLER);
        }
    }

    private final Supplier<KafkaSpanPolicy> policy;

    public TraceAsyncListeners(Supplier<KafkaSpanPolicy> policy) {
        this.policy = policy;
    }

    @Override
    public void onApplicationEvent(ConsumerStartingEvent event) {
        Object listener = event.getSource(MessageListenerContainer.class).getContainerProperties().getMessageListener();
        while (listener instanceof AbstractDelegatingMessageListenerAdapter<?> delegating) {
            listener = delegating.getDelegate();
        }
        if (listener instanceof MessagingMessageListenerAdapter<?, ?> adapter) {
            wrap(adapter);
        }
    }

    private void wrap(MessagingMessageListenerAdapter<?, ?> adapter) {
        KafkaSpanPolicy spans = policy.get();
        try {
            if (HANDLER == null) {
                throw new IllegalStateException("no handler field on " + MessagingMessageListenerAdapter.class);
            }
            synchronized (adapter) {
                Object handler = ReflectionUtils.getField(HANDLER, adapter);
                if (handler instanceof HandlerAdapter original && !(handler instanceof TraceHandlerAdapter)) {
                    adapter.setHandlerMethod(new TraceHandlerAdapter(original, spans));
                }
            }
        }
        catch (RuntimeException ex) {
            spans.failed("wrapping a listener's handler", ex);
        }
    }

}
