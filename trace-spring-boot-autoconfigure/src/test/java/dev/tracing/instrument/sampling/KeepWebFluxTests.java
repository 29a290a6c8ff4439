package dev.tracing.instrument.sampling;

import java.net.http.HttpResponse;
import java.time.Duration;
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
import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeping failed and slow traces at a probability of 0.0, on Reactor Netty with a Kafka hop:
 * such a trace is stored with every span it has in this process, the caller-facing decision
 * stays "not sampled", and a trace that succeeded quickly is not stored.
 */
@SpringBootTest(classes = SamplingWebFluxApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive",
                "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}",
                "spring.kafka.consumer.auto-offset-reset=earliest", "trace.sampling.probability=0.0",
                "trace.sampling.keep.errors=true", "trace.sampling.keep.slower-than=300ms",
                "trace.export.memory.max-traces-per-second=0", "trace.web.server.response-header=traceresponse",
                "logging.level.org.apache.kafka=warn", "logging.level.kafka=warn",
                "logging.level.state.change.logger=warn",
                "logging.level.org.springframework.kafka.listener=off",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
@EmbeddedKafka(topics = { SamplingWebFluxApp.JOBS, SamplingWebFluxApp.JOBS_DLT, SamplingWebFluxApp.AUDIT,
        SamplingWebFluxApp.EVENTS })
class KeepWebFluxTests {

    @LocalServerPort
    int port;

    @Value("${spring.embedded.kafka.brokers}")
    String brokers;

    @Autowired
    InMemorySpanStore store;



    @Test
    void aFailedRequestIsKeptWithItsServerClientAndProducerSpans() throws Exception {
        HttpResponse<String> hello = TraceAssertions.get(port, "/hello");
        HttpResponse<String> failed = TraceAssertions.get(port, "/fail");
        assertThat(hello.statusCode()).isEqualTo(200);
        assertThat(failed.statusCode()).isEqualTo(500);
        String[] fail = traceresponse(failed);
        // what this service told its callers and downstream does not change after the fact
        assertThat(fail[3]).isEqualTo("00");

        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, fail[1], 3);
        FinishedSpan server = TraceAssertions.only(spans, span -> span.getKind() == Span.Kind.SERVER);
        FinishedSpan client = TraceAssertions.only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        FinishedSpan producer = TraceAssertions.only(spans, span -> span.getKind() == Span.Kind.PRODUCER);
        assertThat(server.getName()).isEqualTo("GET /fail");
        assertThat(server.getTags()).containsEntry("sampling.kept", "error").containsEntry("error", "500");
        assertThat(client.getParentId()).isEqualTo(server.getSpanId());
        assertThat(producer.getParentId()).isEqualTo(server.getSpanId());
        assertThat(sampledBy(store, fail[1])).isEqualTo("keep.errors");
        // the downstream /hello and the listener succeeded: their local traces were dropped
        await().atMost(Duration.ofSeconds(30))
            .until(() -> SamplingWebFluxApp.received.containsKey("from-fail " + fail[1]));
        assertThat(store.trace(fail[1])).hasSize(3);
        assertThat(store.trace(traceresponse(hello)[1])).isEmpty();
    }

    @Test
    void aSlowRequestIsKept() throws Exception {
        String[] slow = traceresponse(TraceAssertions.get(port, "/slow"));

        FinishedSpan server = TraceAssertions.awaitTrace(store, slow[1], 1).get(0);
        assertThat(server.getName()).isEqualTo("GET /slow");
        assertThat(server.getTags()).containsEntry("sampling.kept", "slow").doesNotContainKey("error");
        assertThat(sampledBy(store, slow[1])).isEqualTo("keep.slower-than");
    }

    @Test
    void aFailedListenerIsKeptWithTheDeadLetterSentAfterItsEnd() throws Exception {
        RawRecords.send(brokers, SamplingWebFluxApp.JOBS, "boom-1");
        String seen = RawRecords.awaitReceived("boom-1");
        assertThat(seen).endsWith("/0");

        // the listener's span ends with its failure, which keeps the trace; the error handler sends the record to
        // the dead-letter topic after that, inside the trace: that span follows the kept trace as it ends
        String traceId = seen.substring(0, 32);
        // the dead-letter send may be the first use of the application's producer: metadata, then the ack
        List<FinishedSpan> spans = TraceAssertions.awaitSpans("spans of trace " + traceId, Duration.ofSeconds(30), 2,
                () -> store.trace(traceId));
        FinishedSpan consumer = spans.stream().filter(span -> span.getKind() == Span.Kind.CONSUMER).findFirst()
            .orElseThrow();
        assertThat(consumer.getName()).isEqualTo("process jobs");
        assertThat(consumer.getTags()).containsEntry("sampling.kept", "error");
        assertThat(consumer.getError()).hasMessage("job failed: boom-1");
        FinishedSpan deadLetter = spans.stream().filter(span -> span.getKind() == Span.Kind.PRODUCER).findFirst()
            .orElseThrow();
        assertThat(deadLetter.getName()).isEqualTo("send " + SamplingWebFluxApp.JOBS_DLT);
        assertThat(deadLetter.getParentId()).isEqualTo(consumer.getSpanId());
        assertThat(deadLetter.getStartTimestamp()).isAfterOrEqualTo(consumer.getEndTimestamp());
    }

    @Test
    void aSlowListenerIsKept() throws Exception {
        RawRecords.send(brokers, SamplingWebFluxApp.JOBS, "slow-1");
        String seen = RawRecords.awaitReceived("slow-1");

        FinishedSpan consumer = TraceAssertions.awaitTrace(store, seen.substring(0, 32), 1).get(0);
        assertThat(consumer.getName()).isEqualTo("process jobs");
        assertThat(consumer.getTags()).containsEntry("sampling.kept", "slow").doesNotContainKey("error");
        assertThat(sampledBy(store, seen.substring(0, 32))).isEqualTo("keep.slower-than");
    }

}
