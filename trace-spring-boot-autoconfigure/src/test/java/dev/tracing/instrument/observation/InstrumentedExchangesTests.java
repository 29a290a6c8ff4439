package dev.tracing.instrument.observation;

import java.net.URI;

import org.junit.jupiter.api.Test;

import org.springframework.http.HttpMethod;
import org.springframework.mock.http.client.MockClientHttpRequest;
import org.springframework.web.reactive.function.client.ClientRequest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client request is ours to trace only when it comes from a client our instrumentation is on,
 * which marks it; Spring's Observation of an unmarked request makes its span.
 */
class InstrumentedExchangesTests {

    private final InstrumentedExchanges exchanges = InstrumentedExchanges.of(true, true, true);

    @Test
    void aRestClientOrRestTemplateRequestIsCoveredOnlyWhenMarked() {
        MockClientHttpRequest request = new MockClientHttpRequest(HttpMethod.GET, URI.create("http://orders/1"));
        var context = new org.springframework.http.client.observation.ClientRequestObservationContext(request);
        assertThat(exchanges.covers(context)).as("a client built by hand").isFalse();
        request.getAttributes().put(InstrumentedExchanges.TRACED_ATTRIBUTE, Boolean.TRUE);
        assertThat(exchanges.covers(context)).as("a client from Boot's builder").isTrue();
    }

    @Test
    void aWebClientRequestIsCoveredOnlyWhenMarked() {
        var byHand = new org.springframework.web.reactive.function.client.ClientRequestObservationContext(
                ClientRequest.create(HttpMethod.GET, URI.create("http://orders/1")));
        assertThat(exchanges.covers(byHand)).as("a client built by hand").isFalse();
        var fromBoot = new org.springframework.web.reactive.function.client.ClientRequestObservationContext(
                ClientRequest.create(HttpMethod.GET, URI.create("http://orders/1"))
                    .attribute(InstrumentedExchanges.TRACED_ATTRIBUTE, Boolean.TRUE));
        assertThat(exchanges.covers(fromBoot)).as("a client from Boot's builder").isTrue();
        assertThat(exchanges.covers(fromBoot)).as("asked again, as each handler does on each event").isTrue();
    }

    @Test
    void withOurClientInstrumentationOffNoClientRequestIsCovered() {
        MockClientHttpRequest request = new MockClientHttpRequest(HttpMethod.GET, URI.create("http://orders/1"));
        request.getAttributes().put(InstrumentedExchanges.TRACED_ATTRIBUTE, Boolean.TRUE);
        var context = new org.springframework.http.client.observation.ClientRequestObservationContext(request);
        assertThat(InstrumentedExchanges.of(true, false, true).covers(context)).isFalse();
    }

}
