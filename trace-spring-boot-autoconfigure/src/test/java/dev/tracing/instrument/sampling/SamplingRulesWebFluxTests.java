package dev.tracing.instrument.sampling;

import java.net.http.HttpResponse;
import java.util.List;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.kafka.test.context.EmbeddedKafka;

import static dev.tracing.instrument.sampling.SampledTraces.sampledBy;
import static dev.tracing.instrument.sampling.SampledTraces.traceresponse;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sampling rules on Reactor Netty and a Kafka listener, the global probability at 1.0: POST
 * {@code /orders/{id}} is always traced (rules[0], a route template with a method),
 * every other {@code /orders/**} request never (rules[1]), records of {@code audit} never
 * (rules[2]); the first match wins, and a caller's decision stands.
 */
@SpringBootTest(classes = SamplingWebFluxApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive",
                "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}",
                "spring.kafka.consumer.auto-offset-reset=earliest", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0", "trace.web.server.response-header=traceresponse",
                "trace.sampling.rules[0].path=/orders/{id}", "trace.sampling.rules[0].method=POST",
                "trace.sampling.rules[0].probability=1.0", "trace.sampling.rules[1].path=/orders/**",
                "trace.sampling.rules[1].probability=0.0", "trace.sampling.rules[2].messaging-destination=audit",
                "trace.sampling.rules[2].probability=0.0", "logging.level.org.apache.kafka=warn",
                "logging.level.kafka=warn", "logging.level.state.change.logger=warn",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
@EmbeddedKafka(topics = { SamplingWebFluxApp.JOBS, SamplingWebFluxApp.JOBS_DLT, SamplingWebFluxApp.AUDIT,
        SamplingWebFluxApp.EVENTS })
class SamplingRulesWebFluxTests {

    @LocalServerPort
    int port;

    @Value("${spring.embedded.kafka.brokers}")
    String brokers;

    @Autowired
    InMemorySpanStore store;



    @Test
    void aPostMatchesTheFirstRuleAndAGetOnlyTheSecond() throws Exception {
        String[] get = traceresponse(TraceAssertions.get(port, "/orders/7"));
        String[] post = traceresponse(TraceAssertions.request(port, "POST", "/orders/7"));
        String[] hello = traceresponse(TraceAssertions.get(port, "/hello"));

        assertThat(get[3]).isEqualTo("00");
        assertThat(post[3]).isEqualTo("01");
        assertThat(hello[3]).isEqualTo("01");
        List<FinishedSpan> posted = TraceAssertions.awaitTrace(store, post[1], 1);
        assertThat(posted.get(0).getName()).isEqualTo("POST /orders/{id}");
        assertThat(sampledBy(store, post[1])).isEqualTo("rules[0]");
        TraceAssertions.awaitTrace(store, hello[1], 1);
        assertThat(sampledBy(store, hello[1])).isEqualTo("default");
        assertThat(store.trace(get[1])).isEmpty();
    }

    @Test
    void aCallersSampledDecisionStandsOverARule() throws Exception {
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        String[] continued = traceresponse(
                TraceAssertions.get(port, "/orders/8", "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01"));

        assertThat(continued[1]).isEqualTo(traceId);
        assertThat(continued[3]).isEqualTo("01");
        TraceAssertions.awaitTrace(store, traceId, 1);
        assertThat(sampledBy(store, traceId)).isEqualTo("incoming");
    }

    @Test
    void aTopicRuleDecidesTheTraceAListenerStarts() throws Exception {
        RawRecords.send(brokers, SamplingWebFluxApp.AUDIT, "audited");
        RawRecords.send(brokers, SamplingWebFluxApp.EVENTS, "event");

        assertThat(RawRecords.awaitReceived("audited")).endsWith("/0");
        String event = RawRecords.awaitReceived("event");
        assertThat(event).endsWith("/1");
        String eventTrace = event.substring(0, 32);
        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, eventTrace, 1);
        assertThat(spans.get(0).getKind()).isEqualTo(Span.Kind.CONSUMER);
        assertThat(sampledBy(store, eventTrace)).isEqualTo("default");
    }

}
