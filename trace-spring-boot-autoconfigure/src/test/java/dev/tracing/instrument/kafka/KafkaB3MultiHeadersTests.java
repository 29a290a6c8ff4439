package dev.tracing.instrument.kafka;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import dev.tracing.propagation.CompositePropagator;
import dev.tracing.propagation.PropagationType;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * B3 multi-header propagation on Kafka records, whose header names are case-sensitive: records
 * carry the names as Brave and OpenTelemetry write them ({@code X-B3-TraceId}), so that their
 * consumers read ours, and both spellings are read.
 */
class KafkaB3MultiHeadersTests {

    private final List<FinishedSpan> spans = new ArrayList<>();

    private final TraceTracer tracer = Tracing.newBuilder().reporter(spans::add).build();

    private final KafkaSpanPolicy tracing = new KafkaSpanPolicy(tracer,
            CompositePropagator.builder(tracer)
                .consume(List.of(PropagationType.B3_MULTI))
                .produce(List.of(PropagationType.B3_MULTI))
                .build(),
            false);

    @Test
    void aSentRecordCarriesTheHeadersAsBraveAndOpenTelemetryReadThemReplacingEitherSpelling() {
        ProducerRecord<String, String> record = new ProducerRecord<>("orders", "value");
        record.headers().add("x-b3-traceid", "11111111111111111111111111111111".getBytes(StandardCharsets.UTF_8));
        record.headers().add("X-B3-SpanId", "2222222222222222".getBytes(StandardCharsets.UTF_8));
        Span producer = tracing.startProducerSpan(record);
        producer.end();

        assertThat(header(record, "X-B3-TraceId")).containsExactly(producer.context().traceId());
        assertThat(header(record, "X-B3-SpanId")).containsExactly(producer.context().spanId());
        assertThat(header(record, "X-B3-Sampled")).containsExactly("1");
        assertThat(header(record, "x-b3-traceid")).isEmpty();
        assertThat(header(record, "x-b3-spanid")).isEmpty();
    }

    @Test
    void aRecordWithEitherSpellingContinuesItsTrace() {
        for (String traceIdName : List.of("X-B3-TraceId", "x-b3-traceid")) {
            String spanIdName = traceIdName.startsWith("X") ? "X-B3-SpanId" : "x-b3-spanid";
            ConsumerRecord<String, String> record = new ConsumerRecord<>("orders", 0, 7L, null, "value");
            record.headers().add(traceIdName, "463ac35c9f6413ad48485a3953bb6124".getBytes(StandardCharsets.UTF_8));
            record.headers().add(spanIdName, "a2fb4a1d1a96d312".getBytes(StandardCharsets.UTF_8));
            Span consumer = tracing.startRecordSpan(record);
            assertThat(consumer.context().traceId()).as(traceIdName).isEqualTo("463ac35c9f6413ad48485a3953bb6124");
            assertThat(consumer.context().parentId()).as(traceIdName).isEqualTo("a2fb4a1d1a96d312");
        }
    }

    private static List<String> header(ProducerRecord<?, ?> record, String name) {
        List<String> values = new ArrayList<>();
        for (Header header : record.headers().headers(name)) {
            values.add(new String(header.value(), StandardCharsets.UTF_8));
        }
        return values;
    }

}
