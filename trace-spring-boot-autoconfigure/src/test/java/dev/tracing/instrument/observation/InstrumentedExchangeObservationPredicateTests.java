package dev.tracing.instrument.observation;

import java.net.URI;
import java.util.List;

import dev.tracing.instrument.observation.InstrumentedExchangeObservationPredicate.Mode;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.Test;

import org.springframework.http.HttpMethod;
import org.springframework.mock.http.client.MockClientHttpRequest;
import org.springframework.web.reactive.function.client.ClientRequest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which of Spring's client Observations are left out when only our handlers would take them: a
 * marked RestClient or RestTemplate request's, never a WebClient's (our filter finds an enclosing
 * Observation through it), never an unmarked client's (its Observation makes its span).
 */
class InstrumentedExchangeObservationPredicateTests {

    private final InstrumentedExchanges exchanges = InstrumentedExchanges.of(true, true, true);

    private final List<ObservationHandler<?>> onlyOurs = List
        .of(new InstrumentedExchangeObservationHandler(Tracer.NOOP, exchanges));

    @Test
    void aMarkedBlockingClientRequestIsLeftOutAnUnmarkedOneIsNot() {
        InstrumentedExchangeObservationPredicate predicate = new InstrumentedExchangeObservationPredicate(exchanges,
                Mode.AUTO, () -> onlyOurs);
        MockClientHttpRequest request = new MockClientHttpRequest(HttpMethod.GET, URI.create("http://orders/1"));
        var context = new org.springframework.http.client.observation.ClientRequestObservationContext(request);
        assertThat(predicate.test("http.client.requests", context)).as("a client built by hand").isTrue();
        request.getAttributes().put(InstrumentedExchanges.TRACED_ATTRIBUTE, Boolean.TRUE);
        assertThat(predicate.test("http.client.requests", context)).as("a client from Boot's builder").isFalse();
    }

    @Test
    void aWebClientRequestsObservationRunsInEveryMode() {
        var fromBoot = new org.springframework.web.reactive.function.client.ClientRequestObservationContext(
                ClientRequest.create(HttpMethod.GET, URI.create("http://orders/1"))
                    .attribute(InstrumentedExchanges.TRACED_ATTRIBUTE, Boolean.TRUE));
        assertThat(exchanges.covers(fromBoot)).isTrue();
        for (Mode mode : Mode.values()) {
            assertThat(new InstrumentedExchangeObservationPredicate(exchanges, mode, () -> onlyOurs)
                .test("http.client.requests", fromBoot)).as(mode.name()).isTrue();
        }
    }

    @Test
    void theHandlersAreReadOnce() {
        int[] reads = new int[1];
        InstrumentedExchangeObservationPredicate predicate = new InstrumentedExchangeObservationPredicate(exchanges,
                Mode.AUTO, () -> {
                    reads[0]++;
                    return onlyOurs;
                });
        MockClientHttpRequest request = new MockClientHttpRequest(HttpMethod.GET, URI.create("http://orders/1"));
        request.getAttributes().put(InstrumentedExchanges.TRACED_ATTRIBUTE, Boolean.TRUE);
        var context = new org.springframework.http.client.observation.ClientRequestObservationContext(request);
        predicate.test("http.client.requests", context);
        predicate.test("http.client.requests", context);
        assertThat(predicate.test("other", new Observation.Context())).isTrue();
        assertThat(reads[0]).isEqualTo(1);
    }

}
