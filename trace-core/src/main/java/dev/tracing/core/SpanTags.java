package dev.tracing.core;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;

/**
 * A span's tags: a mutable map that keeps its keys and values side by side in one array, in the
 * order they were first put.
 *
 * <p>Design notes: a server span carries about eight tags. A {@link java.util.LinkedHashMap}
 * holds them in ten objects (about 460 bytes); this holds them in two (about 100 bytes), which
 * matters most for the spans the in-memory store keeps, where every object is one more for the
 * collector to trace. At this size a linear scan, comparing keys by identity first (tag keys are
 * mostly constants), is as fast as hashing. Not thread-safe: the span's lock guards it while the
 * span is open, and after that it belongs to the pipeline.
 */
final class SpanTags extends AbstractMap<String, String> {

    private String[] entries;

    private int size;

    private int modifications;

    SpanTags(int capacity) {
        this.entries = new String[Math.max(1, capacity) * 2];
    }

    SpanTags(Map<String, String> tags) {
        this(tags.size());
        putAll(tags);
    }

    private int indexOf(Object key) {
        for (int i = 0, end = size * 2; i < end; i += 2) {
            String candidate = entries[i];
            if (candidate == key || (candidate != null && candidate.equals(key))) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean containsKey(Object key) {
        return indexOf(key) >= 0;
    }

    @Override
    public String get(Object key) {
        int i = indexOf(key);
        return i < 0 ? null : entries[i + 1];
    }

    @Override
    public String put(String key, String value) {
        int i = indexOf(key);
        if (i >= 0) {
            String previous = entries[i + 1];
            entries[i + 1] = value;
            return previous;
        }
        int end = size * 2;
        if (end == entries.length) {
            entries = Arrays.copyOf(entries, end * 2);
        }
        entries[end] = key;
        entries[end + 1] = value;
        size++;
        modifications++;
        return null;
    }

    @Override
    public String remove(Object key) {
        int i = indexOf(key);
        if (i < 0) {
            return null;
        }
        String previous = entries[i + 1];
        removeAt(i);
        return previous;
    }

    private void removeAt(int i) {
        int end = size * 2;
        System.arraycopy(entries, i + 2, entries, i, end - i - 2);
        entries[end - 2] = null;
        entries[end - 1] = null;
        size--;
        modifications++;
    }

    @Override
    public void clear() {
        Arrays.fill(entries, 0, size * 2, null);
        size = 0;
        modifications++;
    }

    @Override
    public void forEach(BiConsumer<? super String, ? super String> action) {
        for (int i = 0, end = size * 2; i < end; i += 2) {
            action.accept(entries[i], entries[i + 1]);
        }
    }

    /** Replaces in place: the inherited one would allocate an entry per tag, on every span the store keeps. */
    @Override
    public void replaceAll(BiFunction<? super String, ? super String, ? extends String> function) {
        Objects.requireNonNull(function);
        int expected = modifications;
        for (int i = 0, end = size * 2; i < end; i += 2) {
            String value = function.apply(entries[i], entries[i + 1]);
            // a function that added or removed a tag moved the slots: write nothing more
            if (modifications != expected) {
                throw new ConcurrentModificationException();
            }
            entries[i + 1] = value;
        }
    }

    @Override
    public Set<Map.Entry<String, String>> entrySet() {
        return new AbstractSet<>() {

            @Override
            public int size() {
                return size;
            }

            @Override
            public Iterator<Map.Entry<String, String>> iterator() {
                return new Entries();
            }
        };
    }

    /** Iterates in insertion order; supports remove, and setValue on the entries it returns. */
    private final class Entries implements Iterator<Map.Entry<String, String>> {

        private int next;

        private int last = -1;

        private int expectedModifications = modifications;

        @Override
        public boolean hasNext() {
            return next < size * 2;
        }

        @Override
        public Map.Entry<String, String> next() {
            if (expectedModifications != modifications) {
                throw new ConcurrentModificationException();
            }
            if (next >= size * 2) {
                throw new NoSuchElementException();
            }
            last = next;
            next += 2;
            return new Entry(last);
        }

        @Override
        public void remove() {
            if (last < 0) {
                throw new IllegalStateException();
            }
            if (expectedModifications != modifications) {
                throw new ConcurrentModificationException();
            }
            removeAt(last);
            next = last;
            last = -1;
            expectedModifications = modifications;
        }

    }

    /** An entry whose {@code setValue} writes through to the map while its key is there. */
    private final class Entry extends AbstractMap.SimpleEntry<String, String> {

        private final int index;

        Entry(int index) {
            super(entries[index], entries[index + 1]);
            this.index = index;
        }

        @Override
        public String setValue(String value) {
            // the slot moves if an earlier tag was removed since; a removed entry writes nowhere
            int i = entries[index] == getKey() ? index : indexOf(getKey());
            if (i >= 0) {
                entries[i + 1] = value;
            }
            return super.setValue(value);
        }

    }

}
