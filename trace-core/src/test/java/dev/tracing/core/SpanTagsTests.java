package dev.tracing.core;

import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A span's tags behave as a {@link LinkedHashMap} does, for everything a span filter may do. */
class SpanTagsTests {

    @Test
    void randomOperationsLeaveTheSameMapAsALinkedHashMap() {
        for (long seed = 0; seed < 200; seed++) {
            Random random = new Random(seed);
            Map<String, String> expected = new LinkedHashMap<>();
            SpanTags actual = new SpanTags(1 + random.nextInt(4));
            for (int op = 0; op < 200; op++) {
                String key = "k" + random.nextInt(12);
                String value = "v" + random.nextInt(5);
                switch (random.nextInt(8)) {
                    case 0, 1, 2 -> assertThat(actual.put(key, value)).isEqualTo(expected.put(key, value));
                    case 3 -> assertThat(actual.remove(key)).isEqualTo(expected.remove(key));
                    case 4 -> {
                        removeEvery(actual.entrySet().iterator(), value);
                        removeEvery(expected.entrySet().iterator(), value);
                    }
                    case 5 -> {
                        setEvery(actual, key, value);
                        setEvery(expected, key, value);
                    }
                    case 6 -> {
                        actual.replaceAll((k, v) -> k.equals(key) ? value : v);
                        expected.replaceAll((k, v) -> k.equals(key) ? value : v);
                    }
                    default -> {
                        if (random.nextInt(20) == 0) {
                            actual.clear();
                            expected.clear();
                        }
                    }
                }
                assertThat(actual.get(key)).isEqualTo(expected.get(key));
                assertThat(actual.containsKey(key)).isEqualTo(expected.containsKey(key));
                assertThat(new ArrayList<>(actual.entrySet())).as("seed %d op %d", seed, op)
                    .isEqualTo(new ArrayList<>(expected.entrySet()));
            }
            assertThat(actual).isEqualTo(expected).hasSameHashCodeAs(expected);
            assertThat(actual.toString()).isEqualTo(expected.toString());
            List<String> visited = new ArrayList<>();
            actual.forEach((k, v) -> visited.add(k + "=" + v));
            assertThat(visited).isEqualTo(expected.entrySet().stream().map(Object::toString).toList());
        }
    }

    private static void removeEvery(Iterator<Map.Entry<String, String>> entries, String value) {
        while (entries.hasNext()) {
            if (entries.next().getValue().equals(value)) {
                entries.remove();
            }
        }
    }

    private static void setEvery(Map<String, String> tags, String key, String value) {
        for (Map.Entry<String, String> entry : tags.entrySet()) {
            if (entry.getKey().compareTo(key) < 0) {
                entry.setValue(value);
            }
        }
    }

    @Test
    void nullKeysAndValuesAreKeptAsALinkedHashMapKeepsThem() {
        SpanTags tags = new SpanTags(Map.of("a", "1"));
        tags.put(null, "x");
        tags.put("b", null);
        assertThat(tags.get(null)).isEqualTo("x");
        assertThat(tags.containsKey("b")).isTrue();
        assertThat(tags.get("b")).isNull();
        assertThat(tags.get("missing")).isNull();
        assertThat(tags).hasSize(3);
    }

    @Test
    void anEntryWritesThroughAfterAnEarlierTagWasRemovedAndNotAfterItsOwnWas() {
        SpanTags tags = new SpanTags(4);
        tags.put("a", "1");
        tags.put("b", "2");
        tags.put("c", "3");
        List<Map.Entry<String, String>> entries = new ArrayList<>(tags.entrySet());
        tags.remove("a");
        entries.get(2).setValue("three");
        tags.remove("b");
        entries.get(1).setValue("two");
        assertThat(tags).containsExactly(Map.entry("c", "three"));
    }

    @Test
    void aReplacingFunctionThatRemovesATagFailsFastAndWritesNoOtherTag() {
        SpanTags tags = new SpanTags(Map.of("a", "1"));
        tags.put("b", "2");
        tags.put("c", "3");
        assertThatThrownBy(() -> tags.replaceAll((key, value) -> {
            tags.remove("a");
            return "replaced";
        })).isInstanceOf(ConcurrentModificationException.class);
        // "b" moved into "a"'s slot: the value meant for "a" is not written over it
        assertThat(tags).containsExactly(Map.entry("b", "2"), Map.entry("c", "3"));
    }

    @Test
    void changingTheMapWhileIteratingFailsFast() {
        SpanTags tags = new SpanTags(Map.of("a", "1", "b", "2"));
        Iterator<Map.Entry<String, String>> entries = tags.entrySet().iterator();
        entries.next();
        tags.put("c", "3");
        assertThatThrownBy(entries::next).isInstanceOf(ConcurrentModificationException.class);
        assertThatThrownBy(() -> tags.entrySet().iterator().remove()).isInstanceOf(IllegalStateException.class);
    }

}
