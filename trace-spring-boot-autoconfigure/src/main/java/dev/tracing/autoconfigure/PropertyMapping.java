package dev.tracing.autoconfigure;

import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.tracing.export.BatchingSpanReporter;

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
