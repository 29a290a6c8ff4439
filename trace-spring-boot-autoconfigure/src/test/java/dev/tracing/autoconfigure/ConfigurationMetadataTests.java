package dev.tracing.autoconfigure;

import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.tracing.core.KeepPolicy;
import dev.tracing.core.Sampler;
import dev.tracing.core.SpanLimits;
import dev.tracing.core.Tracing;
import dev.tracing.export.BatchingSpanReporter;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.propagation.CompositePropagator;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.convert.DurationStyle;

import static org.assertj.core.api.Assertions.assertThat;

/** What an IDE shows for {@code trace.*}: every property described, defaults where they matter. */
class ConfigurationMetadataTests {

    @Test
    void everyTracePropertyIsDescribedWithItsDefault() throws Exception {
        JsonNode metadata;
        try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("generated metadata on the classpath").isNotNull();
            metadata = JsonMapper.builder().build().readTree(in);
        }
        Map<String, JsonNode> properties = new HashMap<>();
        for (JsonNode property : metadata.get("properties")) {
            properties.put(property.get("name").asString(), property);
        }
        assertThat(properties).containsKeys("trace.enabled", "trace.service-name", "trace.sampling.probability",
                "trace.sampling.rate-limit", "trace.propagation.produce", "trace.propagation.consume",
                "trace.baggage.remote-fields", "trace.baggage.correlation-fields", "trace.baggage.tag-fields",
                "trace.export.memory.enabled",
                "trace.export.memory.max-spans", "trace.export.memory.max-traces-per-second",
                "trace.web.server.enabled", "trace.web.server.skip-pattern",
                "trace.web.server.response-header", "trace.web.server.record-headers", "trace.web.record-query",
                "trace.web.client.enabled",
                "trace.reactor.context-propagation", "trace.kafka.enabled", "trace.kafka.batch-record-spans", "trace.annotations.enabled",
                "trace.observation.instrumented-exchanges",
                "trace.export.zipkin.endpoint", "trace.export.zipkin.headers", "trace.export.otlp.endpoint", "trace.export.otlp.headers", "trace.export.logging.enabled",
                "trace.export.batch.max-queue-size", "trace.export.batch.max-batch-size",
                "trace.export.batch.schedule-delay", "trace.export.batch.timeout");
        properties.forEach((name, property) -> assertThat(property.path("description").asString())
            .as("description of %s", name)
            .isNotBlank());
        assertThat(properties.get("trace.enabled").get("defaultValue").asBoolean()).isTrue();
        assertThat(properties.get("trace.reactor.context-propagation").get("defaultValue").asString()).isEqualTo("auto");
        assertThat(properties.get("trace.kafka.enabled").get("defaultValue").asBoolean()).isTrue();
        assertThat(properties.get("trace.observation.instrumented-exchanges").get("defaultValue").asString())
            .isEqualTo("auto");
    }

    /**
     * The builders of trace-core own the defaults; the properties start from them, and the
     * metadata an IDE shows (written by hand where the annotation processor cannot read another
     * class's constant) says the same.
     */
    @Test
    void defaultsInTheMetadataAreTheBuildersDefaults() throws Exception {
        Map<String, JsonNode> properties = properties();
        assertThat(properties.get("trace.sampling.probability").get("defaultValue").asDouble())
            .isEqualTo(Sampler.DEFAULT_PROBABILITY)
            .isEqualTo(new TraceSamplingProperties().getProbability());
        assertThat(properties.get("trace.sampling.rate-limit").get("defaultValue").asInt())
            .isEqualTo(Sampler.DEFAULT_RATE_LIMIT)
            .isEqualTo(new TraceSamplingProperties().getRateLimit());
        TraceExportProperties export = new TraceExportProperties();
        assertThat(properties.get("trace.export.memory.max-spans").get("defaultValue").asInt())
            .isEqualTo(InMemorySpanStore.DEFAULT_MAX_SPANS)
            .isEqualTo(export.getMemory().getMaxSpans());
        assertThat(properties.get("trace.export.memory.max-traces-per-second").get("defaultValue").asInt())
            .isEqualTo(InMemorySpanStore.DEFAULT_MAX_TRACES_PER_SECOND)
            .isEqualTo(export.getMemory().getMaxTracesPerSecond());
        assertThat(properties.get("trace.export.batch.max-queue-size").get("defaultValue").asInt())
            .isEqualTo(BatchingSpanReporter.DEFAULT_MAX_QUEUE_SIZE)
            .isEqualTo(export.getBatch().getMaxQueueSize());
        assertThat(properties.get("trace.export.batch.max-batch-size").get("defaultValue").asInt())
            .isEqualTo(BatchingSpanReporter.DEFAULT_MAX_BATCH_SIZE)
            .isEqualTo(export.getBatch().getMaxBatchSize());
        assertThat(DurationStyle.detectAndParse(properties.get("trace.export.batch.schedule-delay").get("defaultValue")
            .asString())).isEqualTo(BatchingSpanReporter.DEFAULT_SCHEDULE_DELAY)
            .isEqualTo(export.getBatch().getScheduleDelay());
        assertThat(DurationStyle.detectAndParse(properties.get("trace.export.batch.timeout").get("defaultValue")
            .asString())).isEqualTo(BatchingSpanReporter.DEFAULT_TIMEOUT)
            .isEqualTo(export.getBatch().getTimeout());
        TracePropagationProperties propagation = new TracePropagationProperties();
        assertThat(values(properties.get("trace.propagation.produce").get("defaultValue"))).containsExactly("w3c");
        assertThat(propagation.getProduce()).isEqualTo(CompositePropagator.DEFAULT_PRODUCE);
        assertThat(values(properties.get("trace.propagation.consume").get("defaultValue")))
            .containsExactly("w3c", "b3", "b3-multi");
        assertThat(propagation.getConsume()).isEqualTo(CompositePropagator.DEFAULT_CONSUME);
        assertThat(properties.get("trace.export.memory.max-spans-per-trace").get("defaultValue").asInt())
            .isEqualTo(InMemorySpanStore.DEFAULT_MAX_SPANS_PER_TRACE)
            .isEqualTo(export.getMemory().getMaxSpansPerTrace());
        TraceSamplingProperties sampling = new TraceSamplingProperties();
        assertThat(properties.get("trace.sampling.respect-incoming").get("defaultValue").asBoolean())
            .isEqualTo(Tracing.DEFAULT_RESPECT_INCOMING)
            .isEqualTo(sampling.isRespectIncoming());
        assertThat(properties.get("trace.sampling.keep.max-spans-per-trace").get("defaultValue").asInt())
            .isEqualTo(KeepPolicy.DEFAULT_MAX_SPANS_PER_TRACE)
            .isEqualTo(sampling.getKeep().getMaxSpansPerTrace());
        assertThat(properties.get("trace.sampling.keep.max-pending-spans").get("defaultValue").asInt())
            .isEqualTo(KeepPolicy.DEFAULT_MAX_PENDING_SPANS)
            .isEqualTo(sampling.getKeep().getMaxPendingSpans());
        assertThat(properties.get("trace.sampling.keep.rate-limit").get("defaultValue").asInt())
            .isEqualTo(KeepPolicy.DEFAULT_RATE_LIMIT)
            .isEqualTo(sampling.getKeep().getRateLimit());
        TraceSpanLimitsProperties limits = new TraceSpanLimitsProperties();
        assertThat(properties.get("trace.span-limits.max-tags").get("defaultValue").asInt())
            .isEqualTo(SpanLimits.DEFAULT_MAX_TAGS)
            .isEqualTo(limits.getMaxTags());
        assertThat(properties.get("trace.span-limits.max-events").get("defaultValue").asInt())
            .isEqualTo(SpanLimits.DEFAULT_MAX_EVENTS)
            .isEqualTo(limits.getMaxEvents());
        assertThat(properties.get("trace.span-limits.max-links").get("defaultValue").asInt())
            .isEqualTo(SpanLimits.DEFAULT_MAX_LINKS)
            .isEqualTo(limits.getMaxLinks());
        assertThat(properties.get("trace.span-limits.max-tag-value-length").get("defaultValue").asInt())
            .isEqualTo(SpanLimits.DEFAULT_MAX_TAG_VALUE_LENGTH)
            .isEqualTo(limits.getMaxTagValueLength());
    }

    private Map<String, JsonNode> properties() throws Exception {
        JsonNode metadata;
        try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            metadata = JsonMapper.builder().build().readTree(in);
        }
        Map<String, JsonNode> properties = new HashMap<>();
        for (JsonNode property : metadata.get("properties")) {
            properties.put(property.get("name").asString(), property);
        }
        return properties;
    }

    private static List<String> values(JsonNode array) {
        return array.valueStream().map(JsonNode::asString).toList();
    }

}
