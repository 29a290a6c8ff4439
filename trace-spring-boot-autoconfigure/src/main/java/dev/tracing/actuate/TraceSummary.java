package dev.tracing.actuate;

/**
 * One line of {@code GET /actuator/traces}.
 *
 * @param traceId the trace id in lower-case hex: 32 characters, or 16 for a 64-bit id (as it arrived)
 * @param name the root span's name, or the earliest span's when the root is not in the store
 * @param serviceName the service of that span
 * @param timestamp when the trace's first span started, in epoch microseconds
 * @param duration from the first start to the last end, in microseconds
 * @param spanCount how many of the trace's spans are in the store
 * @param error whether any span of the trace recorded an error
 * @param sampledBy why the trace was recorded: {@code default} (the sampler), {@code rules[i]}
 * (the i-th of {@code trace.sampling.rules}), {@code incoming} (the caller's decision),
 * {@code keep.errors} or {@code keep.slower-than}; null when unknown
 */
public record TraceSummary(String traceId, String name, String serviceName, long timestamp, long duration,
        int spanCount, boolean error, String sampledBy) {
}
