package dev.tracing.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The baggage values of one span context.
 *
 * <p>Design notes: a context's baggage is copied on write. A child context gets a new holder that
 * shares the parent's immutable map, so a child's update never leaks to its parent or siblings,
 * and contexts without baggage carry {@code null} instead of an empty holder, so the common case
 * costs nothing. Reads are a volatile load; writes replace the whole (small) map.
 */
public final class BaggageFields {

    private volatile Map<String, String> values;

    private BaggageFields(Map<String, String> values) {
        this.values = values;
    }

    /** Returns a holder with no values. */
    public static BaggageFields empty() {
        return new BaggageFields(Collections.emptyMap());
    }

    /** Returns a holder with a copy of {@code values}; null keys and values are skipped. */
    public static BaggageFields of(Map<String, String> values) {
        Map<String, String> copy = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : values.entrySet()) {
            if (e.getKey() != null && e.getValue() != null) {
                copy.put(e.getKey(), e.getValue());
            }
        }
        return new BaggageFields(Collections.unmodifiableMap(copy));
    }

    /**
     * Checks a configured list of baggage names.
     * @throws IllegalArgumentException when a name is null or blank
     */
    static void requireNames(List<String> names) {
        for (String name : names) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("must not contain blank names");
            }
        }
    }

    /** Returns a new holder for a child context, starting with this holder's current values. */
    BaggageFields copy() {
        return new BaggageFields(values);
    }

    /** Returns the value of {@code name}, or null. */
    public String get(String name) {
        return values.get(name);
    }

    /** Returns an unmodifiable view of the current values. */
    public Map<String, String> asMap() {
        return values;
    }

    /** Returns true when no value is set. */
    public boolean isEmpty() {
        return values.isEmpty();
    }

    /**
     * Sets {@code name} to {@code value}, or removes it when {@code value} is null. Only the
     * tracer writes baggage, through Micrometer's {@code Baggage} API.
     */
    synchronized void put(String name, String value) {
        Map<String, String> current = values;
        if (value == null ? !current.containsKey(name) : value.equals(current.get(name))) {
            return;
        }
        Map<String, String> next = new LinkedHashMap<>(current);
        if (value == null) {
            next.remove(name);
        }
        else {
            next.put(name, value);
        }
        values = Collections.unmodifiableMap(next);
    }

    @Override
    public String toString() {
        return "BaggageFields" + values;
    }
}
