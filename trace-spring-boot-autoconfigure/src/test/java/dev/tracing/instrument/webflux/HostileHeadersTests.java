package dev.tracing.instrument.webflux;

import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import dev.tracing.core.SpanLimits;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.HostileHeaders;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile trace headers through the real server: each request answers as it does without them,
 * under a fresh trace of its own, and oversized {@code baggage} and {@code tracestate} keep
 * nothing beyond the limits. The server's header limit is raised so that 64 KB headers reach the
 * filter (Reactor Netty refuses more than 8 KB by default, with a 431, before any tracing runs).
 */
@SpringBootTest(classes = WebFluxTracingApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0",
                "trace.web.server.response-header=traceresponse", "trace.propagation.consume=w3c,b3,b3-multi",
                "trace.baggage.remote-fields=tenant", "server.max-http-request-header-size=256KB",
                "trace.export.memory.max-spans-per-trace=50",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class HostileHeadersTests {

    static final String TRACE_ID = HostileHeaders.TRACE_ID;

    static final String VALID = HostileHeaders.VALID;

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Test
    void aThousandHostileRequestsAnswerAsWithoutThemEachUnderAFreshTrace() throws Exception {
        HttpResponse<String> plain = TraceAssertions.get(port, "/users/7");
        Random random = new Random(20261121L);
        Set<String> traceIds = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String[] headers = HostileHeaders.of(random);
            HttpResponse<String> response = TraceAssertions.get(port, "/users/7", headers);

            assertThat(response.statusCode()).as("request %d with %s", i, List.of(headers)).isEqualTo(200);
            assertThat(response.body()).isEqualTo(plain.body());
            String traceId = response.headers().firstValue("traceresponse").orElseThrow().substring(3, 35);
            assertThat(traceId).as("request %d with %s", i, List.of(headers)).isNotEqualTo(TRACE_ID);
            assertThat(traceIds.add(traceId)).as("a fresh trace for request %d", i).isTrue();
            FinishedSpan server = TraceAssertions.awaitTrace(store, traceId, 1).get(0);
            assertThat(server.getParentId()).isNullOrEmpty();
        }
    }

    @Test
    void sixtyFourKilobyteBaggageAndTracestateAreAnsweredAndKeepNothingBeyondTheLimits() throws Exception {
        StringBuilder baggage = new StringBuilder("tenant=acme");
        while (baggage.length() < 64 * 1024) {
            baggage.append(",tenant").append(baggage.length()).append("=").append("x".repeat(40));
        }
        StringBuilder tracestate = new StringBuilder();
        for (int i = 0; tracestate.length() < 64 * 1024; i++) {
            tracestate.append(i == 0 ? "" : ",").append("k").append(i).append("=").append("v".repeat(200));
        }

        HttpResponse<String> response = TraceAssertions.get(port, "/chain/big", "traceparent", VALID, "tracestate",
                tracestate.toString(), "baggage", baggage.toString());

        assertThat(response.statusCode()).isEqualTo(200);
        // the traceparent is kept, the oversized tracestate (over 32 members) is dropped whole, and
        // only the allowed baggage field travels on
        assertThat(response.body()).contains(TRACE_ID);
        TraceAssertions.awaitTrace(store, TRACE_ID, 3);
        assertThat(WebFluxTracingApp.downstreamTraceparents.get("big")).singleElement()
            .satisfies(traceparent -> assertThat(traceparent).startsWith("00-" + TRACE_ID + "-"));
        assertThat(WebFluxTracingApp.downstreamHeaders.get("big").get("tracestate")).isEmpty();
        assertThat(WebFluxTracingApp.downstreamHeaders.get("big").get("baggage")).containsExactly("tenant=acme");
    }

    @Test
    void aGatewaysHeaderNamedAsARemoteFieldIsItsBaggageAndTravelsOnInBothForms() throws Exception {
        // what Brave and OpenTelemetry read and write for a remote field besides W3C baggage
        String traceId = "6bf92f3577b34da6a3ce929d0e0e4736";
        HttpResponse<String> response = TraceAssertions.get(port, "/chain/gateway", "traceparent",
                "00-" + traceId + "-00f067aa0ba902b7-01", "Tenant", "acme corp");

        assertThat(response.statusCode()).isEqualTo(200);
        TraceAssertions.awaitTrace(store, traceId, 3);
        assertThat(WebFluxTracingApp.downstreamHeaders.get("gateway").get("tenant")).containsExactly("acme corp");
        assertThat(WebFluxTracingApp.downstreamHeaders.get("gateway").get("baggage")).containsExactly("tenant=acme%20corp");
    }

    @Test
    void aBaggageValueStartingWithASpaceLeavesTheCallsOfTheRequestWorking() throws Exception {
        // " acme" written as the tenant header as it is: Netty refuses the value, and the WebClient call failed
        String traceId = "7bf92f3577b34da6a3ce929d0e0e4736";
        HttpResponse<String> response = TraceAssertions.get(port, "/chain/spaced", "traceparent",
                "00-" + traceId + "-00f067aa0ba902b7-01", "baggage", "tenant=%20acme%09");

        assertThat(response.statusCode()).isEqualTo(200);
        TraceAssertions.awaitTrace(store, traceId, 3);
        assertThat(WebFluxTracingApp.downstreamHeaders.get("spaced").get("tenant")).containsExactly("acme");
        assertThat(WebFluxTracingApp.downstreamHeaders.get("spaced").get("baggage"))
            .containsExactly("tenant=%20acme%09");
    }

    @Test
    void oneTraceIdCannotFillTheStore() throws Exception {
        String traceId = "5bf92f3577b34da6a3ce929d0e0e4736";
        String traceparent = "00-" + traceId + "-00f067aa0ba902b7-01";
        long droppedBefore = store.droppedCount(InMemorySpanStore.TRACE_FULL);
        for (int i = 0; i < 120; i++) {
            assertThat(TraceAssertions.get(port, "/users/" + i, "traceparent", traceparent).statusCode()).isEqualTo(200);
        }
        await().until(() -> store.droppedCount(InMemorySpanStore.TRACE_FULL) - droppedBefore == 70);
        assertThat(store.trace(traceId)).hasSize(50);
        // every other trace still gets in
        HttpResponse<String> other = TraceAssertions.get(port, "/users/7");
        String otherTraceId = other.headers().firstValue("traceresponse").orElseThrow().substring(3, 35);
        assertThat(TraceAssertions.awaitTrace(store, otherTraceId, 1)).hasSize(1);
    }

    @Test
    void aSevenKilobyteUserAgentIsNotKeptWhole() throws Exception {
        String userAgent = "Mozilla/5.0 " + "x".repeat(7000);
        HttpResponse<String> response = TraceAssertions.get(port, "/users/7", "User-Agent", userAgent);
        String traceId = response.headers().firstValue("traceresponse").orElseThrow().substring(3, 35);
        FinishedSpan server = TraceAssertions.awaitTrace(store, traceId, 1).get(0);
        assertThat(server.getTags().get("user_agent.original")).hasSize(SpanLimits.DEFAULT_MAX_TAG_VALUE_LENGTH)
            .isEqualTo(userAgent.substring(0, SpanLimits.DEFAULT_MAX_TAG_VALUE_LENGTH));
    }

    @Test
    void tracestateOfTheCurrentGrammarReachesTheDownstreamWithTheFirstOfADuplicatedKey() throws Exception {
        String longKey = "t@" + "v".repeat(254);
        // a trace of its own: the other tests count the spans of TRACE_ID
        String traceparent = "00-5cf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        HttpResponse<String> response = TraceAssertions.get(port, "/chain/tracestate-l2", "traceparent", traceparent,
                "tracestate", "foo@=1," + longKey + "=2,foo@=3");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(WebFluxTracingApp.downstreamHeaders.get("tracestate-l2").get("tracestate"))
            .containsExactly("foo@=1," + longKey + "=2");
    }

}
