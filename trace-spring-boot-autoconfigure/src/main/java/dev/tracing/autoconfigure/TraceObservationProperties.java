package dev.tracing.autoconfigure;

import dev.tracing.instrument.observation.InstrumentedExchangeObservationPredicate.Mode;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** How this starter lives beside Spring's Observations. */
@ConfigurationProperties("trace.observation")
public class TraceObservationProperties {

    /**
     * What becomes of Spring's Observation of an exchange this starter already traces (HTTP
     * server requests, RestTemplate and RestClient calls, Kafka records received, gRPC calls;
     * a WebClient's always runs). 'auto': left out when no handler but the tracer's would use it
     * (no metrics); 'observe': always started; 'skip': always left out, so http.server.requests
     * and the like are not recorded either.
     */
    private Mode instrumentedExchanges = Mode.AUTO;

    public Mode getInstrumentedExchanges() {
        return instrumentedExchanges;
    }

    public void setInstrumentedExchanges(Mode instrumentedExchanges) {
        this.instrumentedExchanges = instrumentedExchanges;
    }

}
