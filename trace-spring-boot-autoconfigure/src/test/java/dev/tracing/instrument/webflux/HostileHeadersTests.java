package dev.tracing.instrument.webflux;

import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile trace headers through the real server: each request answers as it does without them,
 * under a fresh trace of its own, and oversized {@code baggage} and {@code tracestate} keep
 * nothing beyond the limits. The server's header limit is raised so that 64 KB headers reach the
 * filter (Reactor Netty refuses more than 8 KB by default, with a 431, before any tracing runs).
 */
@SpringBootTest(classes = WebFluxTracingApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "trace.sampling.rate-limit=0",
                "trace.web.server.response-header=traceresponse", "trace.propagation.consume=w3c,b3,b3-multi",
                "trace.baggage.remote-fields=tenant", "server.max-http-request-header-size=256KB",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class HostileHeadersTests {

    static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    static final String VALID = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";

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
            String[] headers = hostileHeaders(random);
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

    /**
     * One or more trace headers, each invalid in its own way: upper-cased, truncated below any id's
     * length, doubled, a non-hex digit, an unknown field in front, a zero trace id, a misplaced
     * dash, random text, non-ASCII, or two different {@code traceparent}s.
     */
    static String[] hostileHeaders(Random random) {
        String[] valid = { VALID, TRACE_ID + "-00f067aa0ba902b7-1", TRACE_ID };
        String value = valid[random.nextInt(valid.length)];
        switch (random.nextInt(9)) {
            case 0 -> value = value.toUpperCase();
            case 1 -> value = value.substring(0, 2 + random.nextInt(14));
            case 2 -> value = value + value;
            case 3 -> value = value.replace('a', 'g');
            case 4 -> value = "ff-" + value;
            case 5 -> value = value.replace(TRACE_ID, "0".repeat(32));
            case 6 -> value = value.substring(0, 10) + "-" + value.substring(10);
            case 7 -> value = "x" + randomPrintable(random, random.nextInt(200));
            default -> value = value.replace('0', 'é');
        }
        return switch (random.nextInt(5)) {
            case 0 -> new String[] { "traceparent", VALID.toUpperCase(), "tracestate", value };
            case 1 -> new String[] { "b3", value.replace("00-", "") };
            case 2 -> new String[] { "X-B3-TraceId", value, "X-B3-SpanId", "00f067aa0ba902b7" };
            case 3 -> new String[] { "traceparent", VALID, "traceparent", VALID.replace("-01", "-00") };
            default -> new String[] { "traceparent", value.startsWith("00-") ? value : "00-" + value, "baggage",
                    randomPrintable(random, random.nextInt(300)) };
        };
    }

    static String randomPrintable(Random random, int length) {
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append((char) (' ' + random.nextInt('~' - ' ' + 1)));
        }
        return out.toString().trim();
    }

}
