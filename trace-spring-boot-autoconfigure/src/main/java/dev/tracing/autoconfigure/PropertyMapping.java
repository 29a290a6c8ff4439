package dev.tracing.autoconfigure;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.tracing.core.KeepPolicy;
import dev.tracing.core.Sampler;
import dev.tracing.core.SpanLimits;
import dev.tracing.export.BatchingSpanReporter;
import dev.tracing.instrument.sampling.SamplingRules;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Hands {@code trace.*} property values to the trace-core builders that own their defaults and
 * their checks, so a rule lives once, in the builder. A value a builder refuses fails start-up
 * naming the property: with Spring Boot's report of the property, its value and where it was set,
 * or, for a value that can hold a credential, with the property and the reason only.
 */
final class PropertyMapping {

    private PropertyMapping() {
    }

    /** Passes {@code value} to {@code setter}; a refusal fails start-up naming {@code property}. */
    static <T> void map(String property, T value, Consumer<? super T> setter) {
        apply(property, value, () -> {
            setter.accept(value);
            return null;
        });
    }

    /** Runs {@code step}, which uses {@code value}; a refusal fails start-up naming {@code property}. */
    static <T> T apply(String property, Object value, Supplier<T> step) {
        try {
            return step.get();
        }
        catch (IllegalArgumentException ex) {
            throw new InvalidConfigurationPropertyValueException(property, value, ex.getMessage());
        }
    }

    /**
     * Runs {@code step} with a value that can hold a credential (an endpoint's user-info, a header
     * value); a refusal fails start-up naming {@code property} and the builder's reason, which
     * never shows the value.
     */
    static <T> T mapSecret(String property, Supplier<T> step) {
        try {
            return step.get();
        }
        catch (IllegalArgumentException ex) {
            throw new InvalidHiddenPropertyException(property, ex.getMessage(), ex);
        }
    }

    /**
     * The rules of {@code trace.sampling.rules}, in order, each named {@code rules[i]}; a rule
     * without its own probability or rate limit takes the global one.
     */
    static SamplingRules samplingRules(TraceSamplingProperties sampling) {
        SamplingRules.Builder rules = SamplingRules.builder();
        List<TraceSamplingProperties.Rule> configured = sampling.getRules();
        for (int i = 0; i < configured.size(); i++) {
            TraceSamplingProperties.Rule rule = configured.get(i);
            String name = "rules[" + i + "]";
            String prefix = "trace.sampling." + name + ".";
            Sampler.Builder sampler = Sampler.builder();
            map(prefix + "probability",
                    rule.getProbability() != null ? rule.getProbability() : sampling.getProbability(),
                    sampler::probability);
            map(prefix + "rate-limit", rule.getRateLimit() != null ? rule.getRateLimit() : sampling.getRateLimit(),
                    sampler::rateLimit);
            // the property a failure names: the one that is wrong, where that is the method beside a path
            boolean byPath = rule.getPath() != null && SamplingRules.isMethod(rule.getMethod());
            String property = prefix + (rule.getMessagingDestination() != null ? "messaging-destination"
                    : byPath ? "path" : "method");
            Object value = rule.getMessagingDestination() != null ? rule.getMessagingDestination()
                    : byPath ? rule.getPath() : rule.getMethod();
            apply(property, value, () -> rules.rule(name, rule.getPath(), rule.getMethod(),
                    rule.getMessagingDestination(), sampler.build()));
        }
        return rules.build();
    }

    /** The limits of {@code trace.span-limits.*}. */
    static SpanLimits spanLimits(TraceSpanLimitsProperties limits) {
        SpanLimits.Builder builder = SpanLimits.builder();
        map("trace.span-limits.max-tags", limits.getMaxTags(), builder::maxTags);
        map("trace.span-limits.max-events", limits.getMaxEvents(), builder::maxEvents);
        map("trace.span-limits.max-links", limits.getMaxLinks(), builder::maxLinks);
        map("trace.span-limits.max-tag-value-length", limits.getMaxTagValueLength(), builder::maxTagValueLength);
        return builder.build();
    }

    /** What {@code trace.sampling.keep.*} keeps of the traces the sampler did not. */
    static KeepPolicy keepPolicy(TraceSamplingProperties.Keep keep) {
        KeepPolicy.Builder builder = KeepPolicy.builder().errors(keep.isErrors());
        map("trace.sampling.keep.slower-than", keep.getSlowerThan(), builder::slowerThan);
        map("trace.sampling.keep.max-spans-per-trace", keep.getMaxSpansPerTrace(), builder::maxSpansPerTrace);
        map("trace.sampling.keep.max-pending-spans", keep.getMaxPendingSpans(), builder::maxPendingSpans);
        map("trace.sampling.keep.rate-limit", keep.getRateLimit(), builder::rateLimit);
        return builder.build();
    }

    /** The settings of {@code trace.export.batch.*}, each checked alone and then together. */
    static BatchingSpanReporter.Builder batching(TraceExportProperties.Batch batch) {
        BatchingSpanReporter.Builder builder = BatchingSpanReporter.builder();
        map("trace.export.batch.max-queue-size", batch.getMaxQueueSize(), builder::maxQueueSize);
        map("trace.export.batch.max-batch-size", batch.getMaxBatchSize(), builder::maxBatchSize);
        map("trace.export.batch.schedule-delay", batch.getScheduleDelay(), builder::scheduleDelay);
        map("trace.export.batch.timeout", batch.getTimeout(), builder::timeout);
        return apply("trace.export.batch.max-batch-size", batch.getMaxBatchSize(), builder::check);
    }

}
