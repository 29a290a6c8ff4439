package dev.tracing.compatibility;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a classpath with an ObservationRegistry (actuator) adds: the Observations Spring makes for
 * the same exchanges still record their metrics, every other Observation is a span of our tracer
 * with the right parent, and Prometheus exemplars carry our ids.
 */
abstract class ObservedExchangeSpansTests extends ExchangeSpansTests {

    private static final Pattern EXEMPLAR = Pattern
        .compile("^http_server_requests_seconds_bucket\\{[^}]*uri=\"/front\"[^}]*} \\S+ # \\{([^}]*)}");

    private static final Pattern LABEL = Pattern.compile("(span_id|trace_id)=\"([0-9a-f]+)\"");

    @Autowired
    MeterRegistry meters;

    @Override
    boolean observationsTraced() {
        return true;
    }

    @Test
    void otherObservationsAreSpansWithTheRightParent() throws Exception {
        Trace trace = callFront();
        FinishedSpan front = trace.one(s -> s.getKind() == Span.Kind.SERVER && s.getParentId() == null);
        FinishedSpan consumer = trace.one(kind(Span.Kind.CONSUMER));

        List<FinishedSpan> observed = trace.all(s -> s.getName().equals("observed work"));
        assertThat(observed).extracting(FinishedSpan::getParentId)
            .as("@Observed from the handler and from the listener")
            .containsExactlyInAnyOrder(front.getSpanId(), consumer.getSpanId());
        assertThat(trace.one(s -> s.getName().equals("user.work")).getParentId()).isEqualTo(front.getSpanId());
    }

    @Test
    void observationMetricsAreStillRecorded() throws Exception {
        callFront();
        assertThat(meters.find("http.server.requests").tag("uri", "/front").timer())
            .satisfies(timer -> assertThat(timer.count()).isPositive());
        assertThat(meters.find("http.server.requests").tag("uri", "/back").timer())
            .satisfies(timer -> assertThat(timer.count()).isPositive());
        assertThat(meters.find("http.client.requests").timers()).isNotEmpty();
        assertThat(meters.find("work.observed").timer()).satisfies(timer -> assertThat(timer.count()).isPositive());
    }

    @Test
    void prometheusExemplarsCarryTheServerSpansIds() throws Exception {
        List<Trace> traces = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            traces.add(callFront());
        }
        HttpResponse<String> scrape = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/prometheus"))
                    .header("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8")
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(scrape.statusCode()).isEqualTo(200);

        List<String[]> exemplars = new ArrayList<>(); // {traceId, spanId}
        for (String line : scrape.body().split("\n")) {
            Matcher bucket = EXEMPLAR.matcher(line);
            if (bucket.find()) {
                String traceId = null;
                String spanId = null;
                Matcher label = LABEL.matcher(bucket.group(1));
                while (label.find()) {
                    if (label.group(1).equals("trace_id")) {
                        traceId = label.group(2);
                    }
                    else {
                        spanId = label.group(2);
                    }
                }
                exemplars.add(new String[] { traceId, spanId });
            }
        }
        assertThat(exemplars).as("exemplars on /front's buckets").isNotEmpty();
        List<Trace> known = new ArrayList<>(traces);
        known.addAll(CALLED);
        assertThat(exemplars).allSatisfy(exemplar -> {
            Trace trace = known.stream().filter(t -> t.traceId().equals(exemplar[0])).findFirst().orElseThrow();
            FinishedSpan front = trace.one(s -> s.getKind() == Span.Kind.SERVER && s.getParentId() == null);
            assertThat(exemplar[1]).isEqualTo(front.getSpanId());
        });
    }

}
