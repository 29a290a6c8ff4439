package dev.tracing.propagation;

import java.util.Collections;
import java.util.List;
import java.util.Map;

import io.micrometer.tracing.propagation.Propagator;

/** A getter over headers that may repeat, as an HTTP request's. */
final class MultiValueGetter implements Propagator.Getter<Map<String, List<String>>> {

    static final MultiValueGetter INSTANCE = new MultiValueGetter();

    @Override
    public String get(Map<String, List<String>> carrier, String key) {
        List<String> values = carrier.get(key);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    @Override
    public Iterable<String> getAll(Map<String, List<String>> carrier, String key) {
        List<String> values = carrier.get(key);
        return values == null ? Collections.emptyList() : values;
    }
}
