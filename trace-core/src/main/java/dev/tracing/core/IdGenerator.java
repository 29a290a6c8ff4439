package dev.tracing.core;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Random, never-zero ids.
 *
 * <p>Design notes: {@link ThreadLocalRandom} needs no lock and no shared state, so generating
 * ids costs a few nanoseconds on any number of threads. The ids are not secrets, so a
 * cryptographic generator would only cost time.
 */
final class IdGenerator {

    private IdGenerator() {
    }

    /** Returns a random non-zero 64-bit id. */
    public static long nextId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long id;
        do {
            id = random.nextLong();
        }
        while (id == 0L);
        return id;
    }
}
