package dev.tracing.autoconfigure;

import java.util.ArrayList;
import java.util.List;

import dev.tracing.propagation.CompositePropagator;
import dev.tracing.propagation.PropagationType;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** How the trace context crosses process boundaries. */
@ConfigurationProperties("trace.propagation")
public class TracePropagationProperties {

    /**
     * Formats written into outgoing requests and messages: w3c, b3, b3-multi, jaeger (uber-trace-id,
     * with the remote baggage fields also in uberctx- headers).
     */
    private List<PropagationType> produce = new ArrayList<>(CompositePropagator.DEFAULT_PRODUCE);

    /**
     * Formats read from incoming requests and messages, tried in this order: w3c, b3, b3-multi,
     * jaeger (uber-trace-id, with the remote baggage fields also read from uberctx- headers).
     */
    private List<PropagationType> consume = new ArrayList<>(CompositePropagator.DEFAULT_CONSUME);

    public List<PropagationType> getProduce() {
        return produce;
    }

    public void setProduce(List<PropagationType> produce) {
        this.produce = produce;
    }

    public List<PropagationType> getConsume() {
        return consume;
    }

    public void setConsume(List<PropagationType> consume) {
        this.consume = consume;
    }

}
